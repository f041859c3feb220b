namespace Sluice.Segment.Protocol;

/// <summary>What a <c>/v1/...</c> path means. <see cref="Type"/> is set for <see cref="TrackingRouteKind.Single"/> only.</summary>
public readonly record struct TrackingRoute(TrackingRouteKind Kind, SegmentEventType? Type)
{
    /// <summary>Resolves a request path (<c>/v1/track</c>, <c>/v1/t</c>, <c>/v1/batch</c>, …); false for anything else.</summary>
    public static bool TryResolve(string? path, out TrackingRoute route)
    {
        var value = path ?? "";

        // segmentio/segment-import posts to "/v1/import/": tolerate one trailing slash everywhere.
        if (value.Length > 1 && value[^1] == '/')
        {
            value = value[..^1];
        }

        route = value switch
        {
            // Documented endpoints (http-api/index.md), and the browser library's short paths
            // `${apiHost}/${type.charAt(0)}`, `/b` for batching and `/m` for metrics (analytics-next).
            "/v1/identify" or "/v1/i" => new(TrackingRouteKind.Single, SegmentEventType.Identify),
            "/v1/track" or "/v1/t" => new(TrackingRouteKind.Single, SegmentEventType.Track),
            "/v1/page" or "/v1/p" => new(TrackingRouteKind.Single, SegmentEventType.Page),
            "/v1/screen" or "/v1/s" => new(TrackingRouteKind.Single, SegmentEventType.Screen),
            "/v1/group" or "/v1/g" => new(TrackingRouteKind.Single, SegmentEventType.Group),
            "/v1/alias" or "/v1/a" => new(TrackingRouteKind.Single, SegmentEventType.Alias),

            // /v1/import is an undocumented legacy alias of batch (segment-import, RudderStack's gateway).
            "/v1/batch" or "/v1/b" or "/v1/import" => new(TrackingRouteKind.Batch, null),
            "/v1/m" => new(TrackingRouteKind.Metrics, null),
            _ => default,
        };

        return value.StartsWith("/v1/", StringComparison.Ordinal) && (route.Kind != TrackingRouteKind.Single || route.Type is not null);
    }

    /// <summary>The body size limit of this route: 500 KB for a batch, 32 KB for a single call.</summary>
    public int MaxBodyBytes => Kind == TrackingRouteKind.Batch ? SegmentLimits.MaxBatchBytes : SegmentLimits.MaxEventBytes;
}
