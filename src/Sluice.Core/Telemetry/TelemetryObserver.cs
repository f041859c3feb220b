using System.Diagnostics;
using Sluice.Core.Engine;

namespace Sluice.Core.Telemetry;

/// <summary>
/// Turns what a run reports into the engine's metrics (<see cref="SyncInstruments"/>) and a span per committed batch,
/// beside whichever observer the caller passed (progress bars, the server's log).
/// </summary>
internal sealed class TelemetryObserver(ISyncObserver inner) : ISyncObserver
{
    /// <summary>The caller's observer, with the engine's telemetry heard too.</summary>
    public static ISyncObserver Around(ISyncObserver inner) => new TelemetryObserver(inner);

    public void OnStarted(string syncName, long runId, long? estimate) => inner.OnStarted(syncName, runId, estimate);

    public void OnProgress(string syncName, RunProgress progress) => inner.OnProgress(syncName, progress);

    public void OnRetry(string syncName, string reason, TimeSpan delay, int attempt)
    {
        SyncInstruments.Retries.Add(1, new KeyValuePair<string, object?>(SyncInstruments.SyncTag, syncName));
        inner.OnRetry(syncName, reason, delay, attempt);
    }

    public void OnRejected(string syncName, string recordKey, string reason) => inner.OnRejected(syncName, recordKey, reason);

    public void OnNotice(string syncName, string notice) => inner.OnNotice(syncName, notice);

    public void OnBatchCommitted(string syncName, CommittedBatch batch)
    {
        var tag = new KeyValuePair<string, object?>(SyncInstruments.SyncTag, syncName);
        SyncInstruments.RecordsRead.Add(batch.Read, tag);
        SyncInstruments.RecordsSent.Add(batch.Sent, tag);
        SyncInstruments.RecordsRejected.Add(batch.Rejected, tag);
        SyncInstruments.BatchDuration.Record(batch.Latency.TotalSeconds, tag);
        RecordSpan(syncName, batch);
        inner.OnBatchCommitted(syncName, batch);
    }

    /// <summary>
    /// The batch's span, written once the batch has committed with the time it was cut as its start: a child of the
    /// run's span (the committer runs under it), beside the destination's HTTP and the state store's database spans.
    /// </summary>
    private static void RecordSpan(string syncName, CommittedBatch batch)
    {
        if (batch.Span is { } started)
        {
            // Started when the batch was sent (SyncSpans.EnterBatch): its writes are its children; it ends now.
            started.SetTag("sluice.batch.records.read", batch.Read);
            started.SetTag("sluice.batch.records.sent", batch.Sent);
            started.SetTag("sluice.batch.records.rejected", batch.Rejected);
            started.Stop();
            return;
        }

        if (!SluiceTelemetry.ActivitySource.HasListeners())
        {
            return;
        }

        // A batch with no span of its own (nothing listened when it was sent): written now, dated from when it was cut.
        var end = DateTimeOffset.UtcNow;
        using var span = SluiceTelemetry.ActivitySource.StartActivity(
            SluiceTelemetry.BatchSpan,
            ActivityKind.Internal,
            Activity.Current?.Context ?? default,
            [
                new(SluiceTelemetry.SyncAttribute, syncName),
                new("sluice.batch.records.read", batch.Read),
                new("sluice.batch.records.sent", batch.Sent),
                new("sluice.batch.records.rejected", batch.Rejected),
            ],
            startTime: end - batch.Latency);
        span?.SetEndTime(end.UtcDateTime);
    }
}
