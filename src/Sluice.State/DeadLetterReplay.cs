using System.Text;
using Sluice.Core.Checkpoints;
using Sluice.Core.Connectors;
using Sluice.Core.Engine;
using Sluice.Core.Engine.Delivery;
using Sluice.Core.Errors;
using Sluice.Core.Records;
using Sluice.Core.State;

namespace Sluice.State;

/// <summary>
/// Sends dead letters' stored payloads through their sync's destination again (<c>sluice dlq replay</c>), in batches
/// within the destination's limits, through the engine's <see cref="DeliveryService"/>: the destination's gate (its
/// rate budget, and the pause a <c>429</c> sets, shared with the live syncs on the destination), a batch that makes the
/// destination throw halved around the letter that does, retries with backoff and jitter. Each batch's outcome is
/// recorded as soon as the destination answered: delivered letters leave the queue, refused ones stay under the new
/// reason. The message id is the one first used, so a destination that deduplicates (Segment's messageId, an events
/// table's primary key) takes a replay once.
/// </summary>
/// <remarks>
/// A replay is a run of its sync (kind <c>replay</c>): it holds the sync's run lock, so that it never interleaves with
/// the live sync (an old version replayed after a newer one was sent would win downstream), and it leaves a run row
/// and an audit record like any run.
/// </remarks>
public sealed class DeadLetterReplay(DeadLetterQueue queue, IDestination destination, DeliveryGate gate, RetryOptions retry, TimeProvider time)
{
    private const int PageSize = 1_000;

    private readonly DeadLetterQueue _queue = queue;
    private readonly IDestination _destination = destination;
    private readonly TimeProvider _time = time;
    private readonly int _retryAttempts = retry.MaxAttempts;

    private readonly DeliveryService _delivery = new(destination, gate, new DeliveryOptions { Retry = retry, Lane = DeliveryLane.Backfill }, time);

    /// <summary>The destination's connection name in the config file, for the audit record; <c>null</c> when not built from one.</summary>
    public string? DestinationConnection { get; init; }

    /// <summary>
    /// Set for a quarantine release (<c>sluice quarantine release</c>): the sync's processors as configured today. The
    /// replay then takes quarantined letters only and decides on each again before it is sent: what they pass is sent
    /// (under its first message id) and leaves the quarantine; what one holds back stays, under today's reason.
    /// <c>null</c> (the default): a dead-letter replay, which never sends what a processor held back.
    /// </summary>
    public IReadOnlyList<Core.Engine.Processing.IRecordProcessor>? Revalidate { get; init; }

    /// <summary>
    /// Replays the given letters of <paramref name="syncName"/>, or (<paramref name="ids"/> null) every one in its queue,
    /// under the sync's run lock, taken here (<see cref="SyncAlreadyRunningException"/> when someone holds it).
    /// </summary>
    /// <param name="onProgress">Hears the number of letters settled so far (delivered or refused).</param>
    public async Task<DeadLetterReplayResult> ReplayAsync(string syncName, IReadOnlyCollection<long>? ids, Action<int>? onProgress, CancellationToken ct)
    {
        await using var lease = await _queue.Store.TryAcquireAsync(syncName, ct) ?? throw new SyncAlreadyRunningException(syncName);
        return await ReplayAsync(lease, ids, onProgress, ct);
    }

    /// <summary>Replays letters of the sync whose run lock <paramref name="lease"/> holds, as a run of kind <c>replay</c>.</summary>
    /// <param name="onProgress">Hears the number of letters settled so far (delivered or refused).</param>
    public async Task<DeadLetterReplayResult> ReplayAsync(ISyncLease lease, IReadOnlyCollection<long>? ids, Action<int>? onProgress, CancellationToken ct)
    {
        var runId = await lease.StartRunAsync(RunKind.Replay, ct);
        var started = _time.GetUtcNow();
        var run = new Run(this, runId, onProgress);
        try
        {
            var result = await ReplayCoreAsync(run, lease.SyncName, ids, ct);
            var outcome = result.StoppedBy is { } stopped ? new RunOutcome(RunStatus.Failed, stopped) : new RunOutcome(RunStatus.Succeeded);
            await lease.FinishRunAsync(runId, outcome, Audit(run, started), CancellationToken.None);
            return result;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await lease.FinishRunAsync(runId, new RunOutcome(RunStatus.Cancelled, "cancelled"), Audit(run, started), CancellationToken.None);
            throw;
        }
        catch (Exception e)
        {
            await lease.FinishRunAsync(runId, new RunOutcome(RunStatus.Failed, e is SluiceException ? e.Message : $"internal error: {e.Message}"),
                Audit(run, started), CancellationToken.None);
            throw;
        }
    }

    private async Task<DeadLetterReplayResult> ReplayCoreAsync(Run run, string syncName, IReadOnlyCollection<long>? ids, CancellationToken ct)
    {
        if (ids is not null)
        {
            var found = await _queue.FindAsync(syncName, ids, ct, quarantined: Revalidate is not null);
            var foundIds = found.Select(l => l.Id).ToHashSet();
            run.NotFound.AddRange(ids.Where(id => !foundIds.Contains(id)).Distinct());
            run.AlreadyDelivered.AddRange(found.Where(l => l.ReplayedAt is not null).Select(l => l.Id));
            return run.Result(await run.SendAsync(found.Where(l => l.ReplayedAt is null).ToList(), ct));
        }

        long after = 0;
        while (true)
        {
            // Keyset paging: letters refused again stay in the queue, behind the page that refused them.
            var page = await _queue.PendingAsync(syncName, after, PageSize, ct, quarantined: Revalidate is not null);
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

    /// <summary>
    /// The replay's audit record. The fields a payload holds were recorded by the run that refused the letter (its own
    /// audit record); a replay sends those payloads as they were stored, so it names no fields of its own.
    /// </summary>
    private RunAudit Audit(Run run, DateTimeOffset started) =>
        new(DestinationConnection, _destination.Description, [], run.Delivered, run.RefusedCount, RunActor.Current, started, _time.GetUtcNow());

    private sealed class Run(DeadLetterReplay replay, long runId, Action<int>? onProgress)
    {
        private int _delivered;
        private int _settled;

        public int Delivered => _delivered;

        /// <summary>Letters refused again, as the audit record counts them.</summary>
        public int RefusedCount => Refused.Count;

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
            if (replay.Revalidate is { } processors)
            {
                letters = await RevalidateAsync(processors, letters, ct);
            }

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
                await replay._queue.RecordReplayAsync(runId, [], oversized, ct);
            }

            return batcher.Count > 0 ? await DeliverAsync(batcher.Take(), byRecord, ct) : null;
        }

        /// <summary>
        /// The letters every processor passes today; the others are recorded at once as still held back, under the
        /// reason of the first processor that held them (a quarantine stays a quarantine).
        /// </summary>
        private async Task<IReadOnlyList<StoredDeadLetter>> RevalidateAsync(
            IReadOnlyList<Core.Engine.Processing.IRecordProcessor> processors, IReadOnlyList<StoredDeadLetter> letters, CancellationToken ct)
        {
            var passed = new List<(StoredDeadLetter Letter, EncodedRecord Record)>();
            foreach (var letter in letters)
            {
                if (letter.Payload is null)
                {
                    Unreplayable.Add(letter);
                    continue;
                }

                passed.Add((letter, new EncodedRecord(
                    new Change(letter.RecordKey, ChangeOperation.Upsert, [], ReplayPosition.Instance), letter.MessageId ?? letter.RecordKey, Encoding.UTF8.GetBytes(letter.Payload))));
            }

            var heldBack = new List<(long, string)>();
            foreach (var processor in processors)
            {
                if (passed.Count == 0)
                {
                    break;
                }

                var decisions = await processor.ProcessAsync(new Core.Engine.Processing.ProcessorBatch(letters[0].SyncName, passed.Select(p => p.Record).ToList()), ct);
                var next = new List<(StoredDeadLetter, EncodedRecord)>(passed.Count);
                for (var i = 0; i < passed.Count; i++)
                {
                    if (decisions[i].Kind == Core.Engine.Processing.ProcessorDecisionKind.Pass)
                    {
                        next.Add(passed[i]);
                        continue;
                    }

                    var reason = decisions[i].Reason ?? $"held back by {processor.Name}";
                    heldBack.Add((passed[i].Letter.Id, reason));
                    Refused.Add(passed[i].Letter with { Reason = reason, Payload = null });
                }

                passed = next;
            }

            if (heldBack.Count > 0)
            {
                await replay._queue.RecordReplayAsync(runId, [], heldBack, ct);
                _settled += heldBack.Count;
                onProgress?.Invoke(_settled);
            }

            return passed.Select(p => p.Letter).ToList();
        }

        /// <summary>Sends one batch until every letter is delivered or refused; returns why it gave up, or null.</summary>
        private async Task<string?> DeliverAsync(List<EncodedRecord> batch, Dictionary<EncodedRecord, StoredDeadLetter> byRecord, CancellationToken ct)
        {
            var outcome = await replay._delivery.DeliverAsync(batch, (settled, token) => SettleAsync(settled, byRecord, token), ct);
            return outcome.LastFailure is { } e
                ? $"gave up on {outcome.Unsettled.Count} letters after {replay._retryAttempts} attempts ({e.Message}); they stay in the queue"
                : null;
        }

        /// <summary>Records what the destination said, at once.</summary>
        private async ValueTask SettleAsync(IReadOnlyList<SettledRecord> settled, Dictionary<EncodedRecord, StoredDeadLetter> byRecord, CancellationToken ct)
        {
            var delivered = new List<long>();
            var refused = new List<(long, string)>();
            foreach (var answer in settled)
            {
                var letter = byRecord[answer.Record];
                if (answer.RejectedBecause is { } reason)
                {
                    refused.Add((letter.Id, reason));
                    Refused.Add(letter with { Reason = reason, Payload = null });
                }
                else
                {
                    delivered.Add(letter.Id);
                }
            }

            await replay._queue.RecordReplayAsync(runId, delivered, refused, ct);
            _delivered += delivered.Count;
            _settled += delivered.Count + refused.Count;
            onProgress?.Invoke(_settled);
        }
    }

    /// <summary>A replayed letter comes from the queue, not from the source: it has no position, and moves no checkpoint.</summary>
    private sealed class ReplayPosition : SourcePosition
    {
        public static readonly ReplayPosition Instance = new();

        public override Checkpoint ToCheckpoint() => throw new InvalidOperationException("a replayed dead letter has no source position");
    }
}
