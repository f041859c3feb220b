using System.Text;
using Sluice.Core.Checkpoints;
using Sluice.Core.Connectors;
using Sluice.Core.Engine;
using Sluice.Core.Errors;
using Sluice.Core.Records;

namespace Sluice.State;

/// <summary>
/// Sends dead letters' stored payloads through their sync's destination again (<c>sluice dlq replay</c>), in batches
/// within the destination's limits, and records each batch's outcome as soon as the destination answered: delivered
/// letters leave the queue, refused ones stay under the new reason. The message id is the one first used, so a
/// destination that deduplicates (Segment's messageId, an events table's primary key) takes a replay once.
/// </summary>
/// <remarks>
/// The caller holds the sync's run lock: a replay must not interleave with the live sync (an old version replayed
/// after a newer one was sent would win downstream).
/// </remarks>
public sealed class DeadLetterReplay(DeadLetterQueue queue, IDestination destination, DeliveryGate gate, RetryOptions retry, TimeProvider time)
{
    private const int PageSize = 1_000;

    private readonly DeadLetterQueue _queue = queue;
    private readonly IDestination _destination = destination;
    private readonly DeliveryGate _gate = gate;
    private readonly RetryOptions _retry = retry;
    private readonly TimeProvider _time = time;

    /// <summary>Replays the given letters of <paramref name="syncName"/>, or (<paramref name="ids"/> null) every one in its queue.</summary>
    /// <param name="onProgress">Hears the number of letters settled so far (delivered or refused).</param>
    public async Task<DeadLetterReplayResult> ReplayAsync(string syncName, IReadOnlyCollection<long>? ids, Action<int>? onProgress, CancellationToken ct)
    {
        var run = new Run(this, onProgress);
        if (ids is not null)
        {
            var found = await _queue.FindAsync(syncName, ids, ct);
            var foundIds = found.Select(l => l.Id).ToHashSet();
            run.NotFound.AddRange(ids.Where(id => !foundIds.Contains(id)).Distinct());
            run.AlreadyDelivered.AddRange(found.Where(l => l.ReplayedAt is not null).Select(l => l.Id));
            return run.Result(await run.SendAsync(found.Where(l => l.ReplayedAt is null).ToList(), ct));
        }

        long after = 0;
        while (true)
        {
            // Keyset paging: letters refused again stay in the queue, behind the page that refused them.
            var page = await _queue.PendingAsync(syncName, after, PageSize, ct);
            if (page.Count == 0)
            {
                return run.Result(null);
            }

            after = page[^1].Id;
            if (await run.SendAsync(page, ct) is { } stopped)
            {
                return run.Result(stopped);
            }
        }
    }

    private sealed class Run(DeadLetterReplay replay, Action<int>? onProgress)
    {
        private int _delivered;
        private int _settled;

        public List<StoredDeadLetter> Refused { get; } = [];

        public List<StoredDeadLetter> Unreplayable { get; } = [];

        public List<long> AlreadyDelivered { get; } = [];

        public List<long> NotFound { get; } = [];

        public DeadLetterReplayResult Result(string? stoppedBy) => new(_delivered, Refused, Unreplayable, AlreadyDelivered, NotFound, stoppedBy);

        /// <summary>Sends the letters in batches; returns why it stopped early, or null.</summary>
        public async Task<string?> SendAsync(IReadOnlyList<StoredDeadLetter> letters, CancellationToken ct)
        {
            var limits = replay._destination.Limits;
            var batcher = new Batcher(limits.MaxRecords, limits.MaxBatchBytes);
            var byRecord = new Dictionary<EncodedRecord, StoredDeadLetter>(ReferenceEqualityComparer.Instance);
            var oversized = new List<(long, string)>();
            foreach (var letter in letters)
            {
                if (letter.Payload is null)
                {
                    Unreplayable.Add(letter);
                    continue;
                }

                var record = new EncodedRecord(
                    new Change(letter.RecordKey, ChangeOperation.Upsert, [], ReplayPosition.Instance),
                    letter.MessageId ?? letter.RecordKey,
                    Encoding.UTF8.GetBytes(letter.Payload));
                if (record.Payload.Length > limits.MaxRecordBytes)
                {
                    var reason = $"record is {record.Payload.Length / 1024.0:0.#} KB encoded; {replay._destination.Description} accepts at most {limits.MaxRecordBytes / 1024} KB per record";
                    oversized.Add((letter.Id, reason));
                    Refused.Add(letter with { Reason = reason, Payload = null });
                    continue;
                }

                if (batcher.Count > 0 && !batcher.Fits(record))
                {
                    if (await DeliverAsync(batcher.Take(), byRecord, ct) is { } stopped)
                    {
                        return stopped;
                    }
                }

                batcher.Add(record);
                byRecord[record] = letter;
            }

            if (oversized.Count > 0)
            {
                await replay._queue.RecordReplayAsync([], oversized, ct);
            }

            return batcher.Count > 0 ? await DeliverAsync(batcher.Take(), byRecord, ct) : null;
        }

        /// <summary>Sends one batch until every record is delivered or refused, retrying transient failures with backoff.</summary>
        private async Task<string?> DeliverAsync(List<EncodedRecord> batch, Dictionary<EncodedRecord, StoredDeadLetter> byRecord, CancellationToken ct)
        {
            IReadOnlyList<EncodedRecord> pending = batch;
            for (var attempt = 1; ; attempt++)
            {
                string problem;
                TimeSpan? asked;
                try
                {
                    await replay._gate.WaitAsync(pending.Count, DeliveryLane.Backfill, ct);
                    var results = await replay._destination.WriteAsync(pending, ct);
                    if (results.Count != pending.Count)
                    {
                        throw SluiceException.Fatal($"{replay._destination.Description} answered {results.Count} results for {pending.Count} records");
                    }

                    (pending, problem, asked) = await SettleAsync(pending, results, byRecord, ct);
                    if (pending.Count == 0)
                    {
                        return null;
                    }
                }
                catch (SluiceException e) when (e.IsRetryable)
                {
                    (problem, asked) = (e.Message, e.RetryAfter);
                }

                if (attempt >= replay._retry.MaxAttempts)
                {
                    return $"gave up on {pending.Count} letters after {attempt} attempts ({problem}); they stay in the queue";
                }

                var backoff = replay._retry.BaseDelay * Math.Pow(2, attempt - 1);
                var wait = asked ?? (backoff < replay._retry.MaxDelay ? backoff : replay._retry.MaxDelay);
                await Task.Delay(wait, replay._time, ct);
            }
        }

        /// <summary>Records what the destination said, at once; returns the records it asked to have again.</summary>
        private async Task<(IReadOnlyList<EncodedRecord> Again, string Problem, TimeSpan? RetryAfter)> SettleAsync(
            IReadOnlyList<EncodedRecord> sent, IReadOnlyList<WriteResult> results, Dictionary<EncodedRecord, StoredDeadLetter> byRecord, CancellationToken ct)
        {
            var delivered = new List<long>();
            var refused = new List<(long, string)>();
            var again = new List<EncodedRecord>();
            var problem = "";
            TimeSpan? retryAfter = null;
            for (var i = 0; i < sent.Count; i++)
            {
                var letter = byRecord[sent[i]];
                switch (results[i].Status)
                {
                    case WriteStatus.Ok:
                        delivered.Add(letter.Id);
                        break;
                    case WriteStatus.Rejected:
                        var reason = results[i].Reason ?? "rejected";
                        refused.Add((letter.Id, reason));
                        Refused.Add(letter with { Reason = reason, Payload = null });
                        break;
                    default:
                        again.Add(sent[i]);
                        problem = results[i].Reason ?? "the destination asked to retry";
                        retryAfter = results[i].RetryAfter is { } after && (retryAfter is null || after > retryAfter) ? after : retryAfter;
                        break;
                }
            }

            await replay._queue.RecordReplayAsync(delivered, refused, ct);
            _delivered += delivered.Count;
            _settled += delivered.Count + refused.Count;
            onProgress?.Invoke(_settled);
            return (again, problem, retryAfter);
        }
    }

    /// <summary>A replayed letter comes from the queue, not from the source: it has no position, and moves no checkpoint.</summary>
    private sealed class ReplayPosition : SourcePosition
    {
        public static readonly ReplayPosition Instance = new();

        public override Checkpoint ToCheckpoint() => throw new InvalidOperationException("a replayed dead letter has no source position");
    }
}
