using System.Text;
using Sluice.Core.Checkpoints;
using Sluice.Core.Connectors;
using Sluice.Core.Engine.Delivery;
using Sluice.Core.Errors;
using Sluice.Core.Records;
using Sluice.Core.State;

namespace Sluice.Core.Engine;

public sealed partial class SyncRunner
{
    /// <summary>Waiting records read from the state store at a time: memory stays bounded however many wait.</summary>
    private const int WaitingPageSize = 1_000;

    /// <summary>
    /// Offers the sync's waiting records again, before the run reads anything new: through the delivery service, in
    /// batches within the destination's limits, with the payload and message id they were first encoded under (as
    /// <c>sluice dlq replay</c> does). Sent ones leave the queue; ones the destination still answers "waiting" for stay,
    /// one attempt more, under the new reason; ones refused, or waiting longer than <c>max_wait</c>, become dead
    /// letters. Their outcome is stored page by page. The checkpoint is not touched: it moved past them when they
    /// started waiting. A newer version read afterwards supersedes any that still waits (the state store's commit).
    /// </summary>
    /// <returns>How many were sent and how many refused.</returns>
    private async Task<(long Sent, long Refused)> OfferWaitingAgainAsync(SyncDefinition sync, ISyncLease lease, long runId, CancellationToken ct)
    {
        var waiting = lease.Waiting;
        var limits = sync.Destination.Limits;
        var batchSize = Math.Max(1, Math.Min(sync.Options.BatchSize ?? limits.MaxRecords, limits.MaxRecords));
        DeliveryService? delivery = null;
        long sent = 0, refused = 0, after = 0;
        while (true)
        {
            var page = await waiting.PageAsync(after, WaitingPageSize, ct);
            if (page.Count == 0)
            {
                return (sent, refused);
            }

            after = page[^1].Id;
            delivery ??= new DeliveryService(sync.Destination, sync.Gate, new DeliveryOptions
            {
                Retry = sync.Options.Retry,
                Lane = sync.Options.Lane,
                OnRetry = (reason, delay, attempt) => _observer.OnRetry(sync.Name, reason, delay, attempt),
            }, _time);
            var outcomes = await OfferPageAsync(sync, delivery, page, batchSize, ct);
            await waiting.SettleAsync(runId, outcomes, ct);
            sent += outcomes.Count(o => o.Kind == WaitingOutcomeKind.Sent);
            refused += outcomes.Count(o => o.Kind == WaitingOutcomeKind.Refused);
        }
    }

    private async Task<List<WaitingOutcome>> OfferPageAsync(SyncDefinition sync, DeliveryService delivery, IReadOnlyList<WaitingRecord> page, int batchSize, CancellationToken ct)
    {
        var limits = sync.Destination.Limits;
        var now = _time.GetUtcNow();
        var outcomes = new List<WaitingOutcome>(page.Count);
        var byRecord = new Dictionary<EncodedRecord, WaitingRecord>(ReferenceEqualityComparer.Instance);
        var batcher = new Batcher(batchSize, limits.MaxBatchBytes);
        foreach (var record in page)
        {
            if (now - record.Since > sync.Options.MaxWait)
            {
                outcomes.Add(new WaitingOutcome(record, WaitingOutcomeKind.Refused,
                    $"waited longer than its max_wait ({DurationText(sync.Options.MaxWait)}) since {record.Since:yyyy-MM-dd HH:mm:ss} UTC, offered {record.Attempts + 1} time(s): {record.Reason}"));
                continue;
            }

            var encoded = new EncodedRecord(new Change(record.RecordKey, ChangeOperation.Upsert, [], WaitingPosition.Instance), record.MessageId ?? record.RecordKey, Encoding.UTF8.GetBytes(record.Payload));
            if (batcher.Count > 0 && !batcher.Fits(encoded))
            {
                await OfferBatchAsync(sync, delivery, batcher.Take(), byRecord, outcomes, ct);
            }

            batcher.Add(encoded);
            byRecord[encoded] = record;
        }

        if (batcher.Count > 0)
        {
            await OfferBatchAsync(sync, delivery, batcher.Take(), byRecord, outcomes, ct);
        }

        return outcomes;
    }

    private static async Task OfferBatchAsync(SyncDefinition sync, DeliveryService delivery, List<EncodedRecord> batch, Dictionary<EncodedRecord, WaitingRecord> byRecord, List<WaitingOutcome> outcomes, CancellationToken ct)
    {
        var outcome = await delivery.DeliverAsync(batch, (settled, _) =>
        {
            foreach (var answer in settled)
            {
                var record = byRecord[answer.Record];
                outcomes.Add(answer switch
                {
                    { Acknowledged: true } => new WaitingOutcome(record, WaitingOutcomeKind.Sent, DestinationId: answer.Result.DestinationId),
                    { Waiting: true } => new WaitingOutcome(record, WaitingOutcomeKind.StillWaiting, answer.RejectedBecause),
                    _ => new WaitingOutcome(record, WaitingOutcomeKind.Refused, answer.RejectedBecause),
                });
            }

            return ValueTask.CompletedTask;
        }, ct);
        if (outcome.LastFailure is { } e)
        {
            throw SluiceException.Fatal(
                $"sync '{sync.Name}': gave up offering {outcome.Unsettled.Count} waiting records again after {sync.Options.Retry.MaxAttempts} attempts ({e.Message}); " +
                "they keep waiting, and the next run offers them again", e);
        }
    }

    private static string DurationText(TimeSpan span) =>
        span.TotalDays >= 1 && span.TotalDays == Math.Floor(span.TotalDays) ? $"{span.TotalDays:0}d"
        : span.TotalHours >= 1 && span.TotalHours == Math.Floor(span.TotalHours) ? $"{span.TotalHours:0}h"
        : span.ToString();

    /// <summary>A waiting record comes from the state store, not from the source: it has no position and moves no checkpoint.</summary>
    private sealed class WaitingPosition : SourcePosition
    {
        public static readonly WaitingPosition Instance = new();

        public override Checkpoint ToCheckpoint() => throw new InvalidOperationException("a waiting record offered again has no source position");
    }
}
