namespace Sluice.Segment.Protocol;

public enum TrackingRouteKind
{
    /// <summary>The body is one event (<c>/v1/track</c>, <c>/v1/t</c>, ...).</summary>
    Single,

    /// <summary>The body is <c>{"batch":[...]}</c> (<c>/v1/batch</c>, <c>/v1/b</c>, <c>/v1/import</c>).</summary>
    Batch,

    /// <summary>analytics-next remote metrics (<c>/v1/m</c>): accepted and ignored.</summary>
    Metrics,
}
