using System.Text;
using Npgsql;
using Sluice.Core.Checkpoints;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Engine;
using Sluice.Core.Engine.Processing;
using Sluice.Core.Mapping;
using Sluice.Core.Records;
using Sluice.Core.State;
using Sluice.State;
using Sluice.Testing;
using Sluice.Testing.Doubles;

namespace Sluice.Postgres.Tests.State;

/// <summary>
/// A dead-letter replay goes through the engine's delivery service: the destination's gate (the pause a 429 sets is
/// the one every sync on the destination waits out), a batch that throws halved around its culprit, and a run row and
/// an audit record like any run's.
/// </summary>
public sealed class DeadLetterReplayDeliveryTests
{
    private const string Replayed = "replayed_sync";
    private const string Live = "live_sync";
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(60);
    private static readonly ConfigLocation Location = new("sluice.yaml", 1, 1, "syncs.live_sync");

    [Fact]
    public async Task A_429_a_replay_gets_pauses_a_live_sync_on_the_same_destination_and_the_replay_leaves_a_run_and_an_audit_row()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_429_a_replay_gets_pauses_a_live_sync_on_the_same_destination_and_the_replay_leaves_a_run_and_an_audit_row));
        var store = await PostgresStateStore.OpenAsync(db);
        var time = new TimerAwareFakeTimeProvider();
        await using var gate = new DeliveryGate(new RateLimitOptions(), time);
        var destination = new RecordingDestination(time) { ThrottleFirstWrite = true };
        await DeadLetterAsync(store, Replayed, ["r1", "r2"]);
        var pausedUntil = time.GetUtcNow() + RetryAfter;

        var replay = Task.Run(() => new DeadLetterReplay(store.DeadLetters, destination, gate, new RetryOptions(), time) { DestinationConnection = "echo_conn" }
            .ReplayAsync(Replayed, ids: null, onProgress: null, default));
        await Eventually.HoldsAsync(() => destination.Writes.Count == 1 && time.ActiveTimers >= 1, "the replay's first write was answered 429 and it waits to retry",
            state: () => $"{destination.Writes.Count} writes, {time}");
        var live = Task.Run(() => new SyncRunner(store, time).RunAsync(
            new SyncDefinition(Live, new KeyListSource(["a", "b"]), MappingSpec.None(Location), destination, gate, new SyncRunOptions()), RunKind.Incremental, default));
        await Eventually.HoldsAsync(() => time.ActiveTimers >= 2 || live.IsCompleted, "the live sync waits (or finished)", state: () => time.ToString());

        Assert.Single(destination.Writes);
        time.Advance(RetryAfter);
        await time.AdvanceUntilCompletedAsync(Task.WhenAll(replay, live));

        Assert.Equal(2, (await replay).Delivered);
        Assert.Equal(2, (await live).Acknowledged);
        Assert.All(destination.Writes.Skip(1), w => Assert.True(w.At >= pausedUntil, $"{string.Join(",", w.Keys)} written at {w.At:O}, before the pause ended at {pausedUntil:O}"));
        await using var query = db.CreateCommand(
            """
            SELECT r.kind, r.status, r.acknowledged, a.status, a.acknowledged, a.destination, a.destination_connection
            FROM sluice.runs r JOIN sluice.syncs s ON s.id = r.sync_id JOIN sluice.audit_log a ON a.run_id = r.id
            WHERE s.name = $1 ORDER BY r.id DESC LIMIT 1
            """);
        query.Parameters.Add(new NpgsqlParameter { Value = Replayed });
        await using var reader = await query.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), "the replay left no run row with an audit record");
        Assert.Equal(("replay", "succeeded", 2L, "succeeded", 2L, "recording", "echo_conn"),
            (reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetString(3), reader.GetInt64(4), reader.GetString(5), reader.GetString(6)));
    }

    [Fact]
    public async Task A_replayed_batch_that_makes_the_destination_throw_is_halved_and_only_the_culprit_is_refused_again()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_replayed_batch_that_makes_the_destination_throw_is_halved_and_only_the_culprit_is_refused_again));
        var store = await PostgresStateStore.OpenAsync(db);
        await using var gate = new DeliveryGate(new RateLimitOptions(), TimeProvider.System);
        var destination = new RecordingDestination(TimeProvider.System) { ThrowsOn = "poison" };
        await DeadLetterAsync(store, Replayed, ["ok1", "poison", "ok2", "ok3"]);

        var result = await new DeadLetterReplay(store.DeadLetters, destination, gate, new RetryOptions { MaxAttempts = 1 }, TimeProvider.System)
            .ReplayAsync(Replayed, ids: null, onProgress: null, default);

        Assert.Equal(3, result.Delivered);
        var refused = Assert.Single(result.Refused);
        Assert.Equal("poison", refused.RecordKey);
        Assert.Contains("InvalidOperationException", refused.Reason, StringComparison.Ordinal);
        Assert.Equal(["poison"], (await store.DeadLetters.ListAsync(Replayed, 10, includeReplayed: false, withPayload: false, default)).Letters.Select(l => l.RecordKey));
    }

    [Fact]
    public async Task A_quarantined_record_is_stored_with_its_reason_while_the_batch_commits_and_a_replay_never_sends_it()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_quarantined_record_is_stored_with_its_reason_while_the_batch_commits_and_a_replay_never_sends_it));
        var store = await PostgresStateStore.OpenAsync(db);
        await using var gate = new DeliveryGate(new RateLimitOptions(), TimeProvider.System);
        var destination = new RecordingDestination(TimeProvider.System);
        var sync = new SyncDefinition(Live, new KeyListSource(["a", "b", "c", "d"]), MappingSpec.None(Location), destination, gate, new SyncRunOptions())
        {
            Processors = [new QuarantineProcessor("c", "no account 42"), new WaitProcessor("d", "account 7 not synced yet")],
        };

        var result = await new SyncRunner(store, TimeProvider.System).RunAsync(sync, RunKind.Incremental, default);
        var replayed = await new DeadLetterReplay(store.DeadLetters, destination, gate, new RetryOptions { MaxAttempts = 1 }, TimeProvider.System)
            .ReplayAsync(Live, ids: null, onProgress: null, default);

        Assert.Equal((4L, 2L, 1L), (result.Read, result.Acknowledged, result.Rejected));
        Assert.Equal(new Checkpoint("list", 1, "3"), (await store.CheckpointStatusAsync(Live, default))!.Checkpoint);
        var held = (await store.DeadLetters.ListAsync(Live, 10, includeReplayed: true, withPayload: true, default)).Letters;
        Assert.Equal(
            [("c", "quarantined", "checks: no account 42", (string?)null), ("d", "waiting", "checks: account 7 not synced yet", "delivered")],
            held.Select(l => (l.RecordKey, l.Kind, l.Reason, l.ReplayOutcome)));
        Assert.All(held, l => Assert.Contains(l.RecordKey, l.Payload, StringComparison.Ordinal));
        Assert.Equal(1, replayed.Delivered);
        Assert.DoesNotContain(destination.Writes.SelectMany(w => w.Keys), k => k == "c");
    }

    private sealed class QuarantineProcessor(string key, string reason) : IRecordProcessor
    {
        public string Name => "checks";

        public ValueTask<IReadOnlyList<ProcessorDecision>> ProcessAsync(ProcessorBatch batch, CancellationToken ct) =>
            ValueTask.FromResult<IReadOnlyList<ProcessorDecision>>(batch.Records.Select(r => r.Change.Key == key ? ProcessorDecision.Quarantine(reason) : ProcessorDecision.Pass).ToArray());
    }

    private sealed class WaitProcessor(string key, string reason) : IRecordProcessor
    {
        public string Name => "checks";

        public ValueTask<IReadOnlyList<ProcessorDecision>> ProcessAsync(ProcessorBatch batch, CancellationToken ct) =>
            ValueTask.FromResult<IReadOnlyList<ProcessorDecision>>(batch.Records.Select(r => r.Change.Key == key ? ProcessorDecision.Defer(reason) : ProcessorDecision.Pass).ToArray());
    }

    private static async Task DeadLetterAsync(PostgresStateStore store, string sync, IReadOnlyList<string> keys)
    {
        await using var lease = (await store.TryAcquireAsync(sync, default))!;
        var run = await lease.StartRunAsync(RunKind.Incremental, default);
        var letters = keys.Select(k => new DeadLetter(k, "m-" + k, "was down", $"{{\"key\":\"{k}\"}}")).ToList();
        await lease.CommitBatchAsync(new BatchCommit(run, 0, [], letters, new Checkpoint("test", 1, "1"), letters.Count), default);
        await lease.FinishRunAsync(run, new RunOutcome(RunStatus.Succeeded, null), default);
    }

    private sealed record Write(IReadOnlyList<string> Keys, DateTimeOffset At);

    /// <summary>Acknowledges what it is sent and notes when; optionally answers its first write with a 429, or throws on a key.</summary>
    private sealed class RecordingDestination(TimeProvider time) : IDestination
    {
        private readonly Lock _lock = new();
        private readonly List<Write> _writes = [];

        public bool ThrottleFirstWrite { get; init; }

        public string? ThrowsOn { get; init; }

        public IReadOnlyList<Write> Writes
        {
            get
            {
                lock (_lock)
                {
                    return [.. _writes];
                }
            }
        }

        public string Description => "recording";

        public MappingShape Shape { get; } = new("recording", [], []);

        public DestinationLimits Limits { get; } = new(MaxRecords: 100, MaxBatchBytes: 1_000_000, MaxRecordBytes: 10_000, MaxInFlight: 1);

        public Task CheckAsync(CancellationToken ct) => Task.CompletedTask;

        public EncodedRecord Encode(Change change, CompiledMapping mapping) => new(change, "m-" + change.Key, Encoding.UTF8.GetBytes($"{{\"key\":\"{change.Key}\"}}"));

        public Task<IReadOnlyList<WriteResult>> WriteAsync(IReadOnlyList<EncodedRecord> batch, CancellationToken ct)
        {
            if (ThrowsOn is { } culprit && batch.Any(r => r.Change.Key == culprit))
            {
                throw new InvalidOperationException($"cannot write {culprit}");
            }

            bool first;
            lock (_lock)
            {
                first = _writes.Count == 0;
                _writes.Add(new Write(batch.Select(r => r.Change.Key).ToList(), time.GetUtcNow()));
            }

            var answer = first && ThrottleFirstWrite ? WriteResult.Retry("429 Too Many Requests", RetryAfter) : WriteResult.Ok;
            return Task.FromResult<IReadOnlyList<WriteResult>>(batch.Select(_ => answer).ToArray());
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
