using Microsoft.AspNetCore.Http;
using Sluice.Core.Errors;
using Sluice.State.Ingest;

namespace Sluice.Server.Ingest.Internal;

/// <summary>Hands accepted events to the durable queue; the caller answers 200 only when this returns true.</summary>
internal sealed class IngestSink(IngestApiOptions options)
{
    public const string Unavailable = "Sluice could not store the events right now; retry later";

    /// <summary>
    /// Enqueues <paramref name="events"/> and waits for the commit. On failure it answers itself and returns false:
    /// 503 when a retry may succeed (clients retry a 5xx), 400 when the queue can never take the events.
    /// </summary>
    public async Task<bool> TryStoreAsync(HttpContext context, IReadOnlyList<IngestEvent> events)
    {
        if (events.Count == 0)
        {
            return true;
        }

        try
        {
            var queue = await options.Queue(context.RequestAborted);
            await queue.EnqueueAsync(events, context.RequestAborted);
            return true;
        }
        catch (SluiceException ex) when (ex.Class == ErrorClass.RecordRejected)
        {
            // The queue can never store these events: a retry would fail the same way, so the sender must hear 400.
            await IngestHttp.WriteErrorAsync(context.Response, StatusCodes.Status400BadRequest, ex.Message);
            return false;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
        {
            // The queue reports classified, key- and payload-free errors; anything else is described generically. The
            // operator reads why in the log; senders (a browser's write key is public) learn only to retry.
            var why = ex is SluiceException ? ex.Message : "the ingest queue is unavailable";
            options.Log?.Invoke($"ingest: {events.Count} event(s) from source '{events[0].Source}' refused with 503: {why}");
            await IngestHttp.WriteErrorAsync(context.Response, StatusCodes.Status503ServiceUnavailable, Unavailable);
            return false;
        }
    }
}
