using System.Net;
using Microsoft.Extensions.Logging;
using Sluice.Core.Connectors;
using Sluice.Core.Errors;

namespace Sluice.Postgres.Ingest.Http;

/// <summary>Hands accepted events to the durable queue; the route answers 200 only when this answers nothing else.</summary>
internal sealed class IngestSink(IngestApiOptions options)
{
    public const string Unavailable = "Sluice could not store the events right now; retry later";

    /// <summary>
    /// Enqueues <paramref name="events"/> and waits for the commit. On failure it returns the answer to send instead:
    /// 503 when a retry may succeed (clients retry a 5xx), 400 when the queue can never take the events. Null: stored.
    /// </summary>
    public async Task<HttpIngressResponse?> StoreAsync(HttpIngressRequest request, IReadOnlyList<IngestEvent> events)
    {
        if (events.Count == 0)
        {
            return null;
        }

        try
        {
            var queue = await options.Queue(request.Aborted);
            await queue.EnqueueAsync(events, request.Aborted);
            return null;
        }
        catch (SluiceException ex) when (ex.Class == ErrorClass.RecordRejected)
        {
            // The queue can never store these events: a retry would fail the same way, so the sender must hear 400.
            return IngestHttp.Error(request, HttpStatusCode.BadRequest, ex.Message);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !request.Aborted.IsCancellationRequested)
        {
            // The queue reports classified, key- and payload-free errors; anything else is described generically. The
            // operator reads why in the log; senders (a browser's write key is public) learn only to retry.
            var why = ex is SluiceException ? ex.Message : "the ingest queue is unavailable";
            options.Log?.LogError("ingest: {Count} event(s) from source '{Source}' refused with 503: {Reason}", events.Count, events[0].Source, why);
            return IngestHttp.Error(request, HttpStatusCode.ServiceUnavailable, Unavailable);
        }
    }
}
