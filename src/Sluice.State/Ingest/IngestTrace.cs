using System.Diagnostics;
using Sluice.Core.Telemetry;

namespace Sluice.State.Ingest;

/// <summary>
/// The trace context an ingest request hands to its events: the W3C <c>traceparent</c> of the request's span (the
/// server's span for the HTTP request, itself a child of the client's <c>traceparent</c> header when it sent one). It
/// is kept with each event in the queue, and the span of the sync batch that sends the event links to it.
/// </summary>
public static class IngestTrace
{
    /// <summary>
    /// The current request's <c>traceparent</c>, or null when Sluice's spans go nowhere (no listener on
    /// <see cref="SluiceTelemetry.Name"/>: no batch span would link to it, so nothing is stored) or the request has no
    /// W3C span.
    /// </summary>
    public static string? Current() =>
        SluiceTelemetry.ActivitySource.HasListeners() && Activity.Current is { IdFormat: ActivityIdFormat.W3C } request ? request.Id : null;
}
