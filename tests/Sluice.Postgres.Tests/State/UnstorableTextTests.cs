using System.Text;
using Sluice.Core.Checkpoints;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Engine;
using Sluice.Core.Mapping;
using Sluice.Core.Records;
using Sluice.Core.State;
using Sluice.State;
using Sluice.Testing;
using Sluice.Testing.Doubles;

namespace Sluice.Postgres.Tests.State;

/// <summary>
/// PostgreSQL text cannot hold U+0000, and Npgsql refuses to encode a lone surrogate: one record's key, message id,
/// reason or payload carrying either must never fail the commit that moves the checkpoint (issue 9: a NUL in an
/// ingested messageId made every retry fail). What is stored is read back as it was given.
/// </summary>
public sealed class UnstorableTextTests
{
    private const string SyncName = "hostile_input";
    private static readonly ConfigLocation Location = new("sluice.yaml", 1, 1, "syncs.hostile_input");

    /// <summary>Keys (message id "m-" + key): a NUL, a lone surrogate, the store's own marker, and look-alikes of their escapes.</summary>
    private static readonly string[] Keys = ["a\u0000", "b\udc00", "\uffffc", "\\u0000", "plain", "a\\u0000", "\ud800\u0000\\"];

    private const string PoisonKey = "poison\u0000\udc00";

    [Fact]
    public async Task Records_whose_keys_and_message_ids_hold_nul_or_lone_surrogates_commit_and_read_back_unchanged()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(Records_whose_keys_and_message_ids_hold_nul_or_lone_surrogates_commit_and_read_back_unchanged));
        var store = await PostgresStateStore.OpenAsync(db);
        var destination = new EchoDestination();

        var result = await RunAsync(store, destination);

        Assert.Equal((Keys.Length + 1L, (long)Keys.Length, 1L), (result.Read, result.Acknowledged, result.Rejected));
        Assert.Equal(new Checkpoint("list", 1, Keys.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)), (await store.CheckpointStatusAsync(SyncName, default))!.Checkpoint);
        var history = new RecordHistory(db);
        foreach (var key in Keys)
        {
            // A key spelled with "\u0000" also finds the record whose key holds the NUL (below): Contains, not Single.
            Assert.Contains(("acknowledged", "m-" + key), (await history.LoadAsync(SyncName, key, default)).Select(e => (e.What, e.MessageId)));
        }

        // Typed on a command line, where no NUL can go: the escapes stand for the characters.
        Assert.Equal(["m-a\u0000"], (await history.LoadAsync(SyncName, "a\u0000", default)).Select(e => e.MessageId));
        Assert.Equal(["m-a\u0000", "m-a\\u0000"], (await history.LoadAsync(SyncName, "a\\u0000", default)).Select(e => e.MessageId).Order(StringComparer.Ordinal));
        Assert.Equal(["m-b\udc00"], (await history.LoadAsync(SyncName, "b\\udc00", default)).Select(e => e.MessageId));

        var refused = Assert.Single(await history.LoadAsync(SyncName, PoisonKey, default));
        Assert.Equal(("dead-lettered", "m-" + PoisonKey, "refused " + PoisonKey), (refused.What, refused.MessageId, refused.Detail));
        var letter = Assert.Single((await store.DeadLetters.ListAsync(SyncName, 10, includeReplayed: false, withPayload: true, default)).Letters);
        Assert.Equal((PoisonKey, "m-" + PoisonKey, "refused " + PoisonKey, Payload(PoisonKey)), (letter.RecordKey, letter.MessageId, letter.Reason, letter.Payload));
    }

    [Fact]
    public async Task A_dead_letter_with_a_nul_in_its_message_id_is_replayed_under_that_same_message_id()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_dead_letter_with_a_nul_in_its_message_id_is_replayed_under_that_same_message_id));
        var store = await PostgresStateStore.OpenAsync(db);
        var destination = new EchoDestination();
        await RunAsync(store, destination);

        destination.Refuses = false;
        var replay = new DeadLetterReplay(store.DeadLetters, destination, new DeliveryGate(new RateLimitOptions(), TimeProvider.System), new RetryOptions(), TimeProvider.System);
        var replayed = await replay.ReplayAsync(SyncName, ids: null, onProgress: null, default);

        Assert.Equal(1, replayed.Delivered);
        var resent = destination.Written[^1];
        Assert.Equal(PoisonKey, resent.Change.Key);
        Assert.Equal("m-" + PoisonKey, resent.MessageId);
        Assert.Equal(Payload(PoisonKey), Encoding.UTF8.GetString(resent.Payload.Span));
        Assert.Equal(0, (await store.DeadLetters.ListAsync(SyncName, 10, includeReplayed: false, withPayload: false, default)).Total);
    }

    [Fact]
    public async Task A_run_that_fails_with_a_nul_in_its_error_is_still_finished_as_failed()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_run_that_fails_with_a_nul_in_its_error_is_still_finished_as_failed));
        var store = await PostgresStateStore.OpenAsync(db);
        await using (var lease = (await store.TryAcquireAsync(SyncName, default))!)
        {
            var run = await lease.StartRunAsync(RunKind.Incremental, default);
            await lease.FinishRunAsync(run, new RunOutcome(RunStatus.Failed, "internal error: key 'x\u0000\udc00'"), null, default);
        }

        var status = Assert.Single(await store.StatusAsync(default));
        Assert.Equal(("failed", "internal error: key 'x\u0000\udc00'"), (status.LastRunStatus, status.LastRunError));
    }

    [Fact]
    public async Task A_failure_stays_reported_while_the_next_run_is_still_running_and_a_success_clears_it()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_failure_stays_reported_while_the_next_run_is_still_running_and_a_success_clears_it));
        var store = await PostgresStateStore.OpenAsync(db);
        await using (var lease = (await store.TryAcquireAsync(SyncName, default))!)
        {
            var failed = await lease.StartRunAsync(RunKind.Incremental, default);
            await lease.FinishRunAsync(failed, new RunOutcome(RunStatus.Failed, "the write key was refused"), null, default);
            await lease.StartRunAsync(RunKind.Incremental, default); // a retry in progress (or its process died in it)
        }

        var retrying = Assert.Single(await store.StatusAsync(default));
        Assert.Equal(("running", true, "the write key was refused"), (retrying.LastRunStatus, retrying.LastRunFailed, retrying.FailureError));

        await using (var lease = (await store.TryAcquireAsync(SyncName, default))!)
        {
            var succeeded = await lease.StartRunAsync(RunKind.Incremental, default);
            await lease.FinishRunAsync(succeeded, new RunOutcome(RunStatus.Succeeded, null), null, default);
            await lease.StartRunAsync(RunKind.Incremental, default);
        }

        var cleared = Assert.Single(await store.StatusAsync(default));
        Assert.Equal(("running", false, null), (cleared.LastRunStatus, cleared.LastRunFailed, cleared.FailureError));
    }

    private static async Task<RunResult> RunAsync(PostgresStateStore store, EchoDestination destination)
    {
        var source = new KeyListSource([.. Keys, PoisonKey]);
        var sync = new SyncDefinition(SyncName, source, MappingSpec.None(Location), destination, new DeliveryGate(new RateLimitOptions(), TimeProvider.System), new SyncRunOptions());
        return await new SyncRunner(store, TimeProvider.System).RunAsync(sync, RunKind.Incremental, default);
    }

    /// <summary>A payload with a raw NUL byte in it (a destination is free to send any bytes).</summary>
    private static string Payload(string key) => $"{{\"nul\":\"\u0000\",\"key\":{key.Length}}}";

    /// <summary>Acknowledges every record but <see cref="PoisonKey"/>, which it refuses (while <see cref="Refuses"/>) naming the key.</summary>
    private sealed class EchoDestination : IDestination
    {
        public bool Refuses { get; set; } = true;

        public List<EncodedRecord> Written { get; } = [];

        public string Description => "echo";

        public MappingShape Shape { get; } = new("echo", [], []);

        public DestinationLimits Limits { get; } = new(MaxRecords: 100, MaxBatchBytes: 1_000_000, MaxRecordBytes: 10_000, MaxInFlight: 1);

        public Task CheckAsync(CancellationToken ct) => Task.CompletedTask;

        public EncodedRecord Encode(Change change, CompiledMapping mapping) => new(change, "m-" + change.Key, Encoding.UTF8.GetBytes(Payload(change.Key)));

        public Task<IReadOnlyList<WriteResult>> WriteAsync(IReadOnlyList<EncodedRecord> batch, CancellationToken ct)
        {
            Written.AddRange(batch);
            return Task.FromResult<IReadOnlyList<WriteResult>>(
                batch.Select(r => Refuses && r.Change.Key == PoisonKey ? WriteResult.Rejected("refused " + PoisonKey) : WriteResult.Ok).ToArray());
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
