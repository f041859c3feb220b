using System.Text;
using Npgsql;
using Sluice.Core.Checkpoints;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Engine;
using Sluice.Core.Mapping;
using Sluice.Core.Records;
using Sluice.Core.State;
using Sluice.Postgres.Destinations;
using Sluice.State;
using Sluice.State.Ingest;
using Sluice.Testing;
using static Sluice.Postgres.Tests.TestSql;

namespace Sluice.Postgres.Tests.State;

/// <summary>
/// The send ledger stores an id once where a record's key is its message id, as a uuid where it is one (migration 28):
/// every shape, rows written before the migration included, reads back the same through <c>sluice explain</c>, and an
/// ingest sync into an events table that dies between landing a batch and committing it resumes from its checkpoint
/// with each event in the ledger once.
/// </summary>
public sealed class SendLedgerIdsTests
{
    private const string SyncName = "web_to_events";

    [Fact]
    public async Task Each_shape_reads_back_through_explain_and_is_pruned_as_before()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(Each_shape_reads_back_through_explain_and_is_pruned_as_before));
        var store = await PostgresStateStore.OpenAsync(db);
        var lower = Guid.NewGuid().ToString();
        var upper = Guid.NewGuid().ToString().ToUpperInvariant();
        await using (var lease = (await store.TryAcquireAsync("users", default))!)
        {
            await lease.LoadCheckpointAsync(default);
            var run = await lease.StartRunAsync(RunKind.Incremental, default);
            await lease.CommitBatchAsync(Batch(run, 0, ("k-1", "m-1"), ("k-2", "m-2")), default);
            await lease.CommitBatchAsync(Batch(run, 1, ("order-7", "order-7"), ("\0nul", "\0nul")), default);
            await lease.CommitBatchAsync(Batch(run, 2, (lower, lower)), default);
            await lease.CommitBatchAsync(Batch(run, 3, (upper, upper), (lower + "x", lower + "x")), default);
            await lease.CommitBatchAsync(Batch(run, 4, (Guid.NewGuid().ToString(), "m-5")), default);
        }

        // A row as every version before 28 wrote it: both arrays as text, whatever the ids.
        await ExecuteAsync(db, "INSERT INTO sluice.send_ledger (sync_id, run_id, batch_seq, record_keys, message_ids, operations) SELECT id, 1, 5, '{old-key}', '{old-id}', 'u' FROM sluice.syncs");

        Assert.Equal(
            "0:keys,ids|1:keys|2:uuids|3:keys|4:keys,ids|5:keys,ids",
            await ScalarAsync(db, """
                SELECT string_agg(batch_seq || ':' || concat_ws(',', CASE WHEN record_keys IS NOT NULL THEN 'keys' END, CASE WHEN message_ids IS NOT NULL THEN 'ids' END,
                                                              CASE WHEN record_uuids IS NOT NULL THEN 'uuids' END), '|' ORDER BY batch_seq)
                FROM sluice.send_ledger
                """));
        Assert.Equal(lower, await ScalarAsync(db, "SELECT record_uuids[1]::text FROM sluice.send_ledger WHERE batch_seq = 2"));

        var history = new RecordHistory(db);
        foreach (var (key, messageId, batch) in new[]
                 {
                     ("k-2", "m-2", 0L), ("order-7", "order-7", 1L), ("\0nul", "\0nul", 1L), (lower, lower, 2L), (upper, upper, 3L), ("old-key", "old-id", 5L),
                 })
        {
            var sent = Assert.Single(await history.LoadAsync("users", key, default));
            Assert.Equal(("acknowledged", (long?)batch, messageId, "upsert"), (sent.What, sent.Batch, sent.MessageId, sent.Detail));
            Assert.Equal(key, await history.KeyOfMessageIdAsync("users", messageId, default));
        }

        // A uuid is found as it was stored, as before: in its lowercase text.
        Assert.Empty(await history.LoadAsync("users", lower.ToUpperInvariant(), default));

        var pruned = await store.Retention(StateRetention.Default, new TimerAwareFakeTimeProvider(DateTimeOffset.UtcNow.AddYears(1))).PruneAsync(default);
        Assert.Equal(6L, pruned.Sends);
        Assert.Equal(0L, await ScalarAsync(db, "SELECT count(*) FROM sluice.send_ledger"));
    }

    [Fact]
    public async Task Batches_written_by_one_copy_keep_every_id_and_operation_in_order()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(Batches_written_by_one_copy_keep_every_id_and_operation_in_order));
        var store = await PostgresStateStore.OpenAsync(db);
        var keys = Enumerable.Range(0, 3_000).Select(i => i % 3 == 0 ? $"ключ-{i}-€ü" : i % 3 == 1 ? $"{i}\\'\"," : i.ToString()).ToList();
        await using (var lease = (await store.TryAcquireAsync("users", default))!)
        {
            await lease.LoadCheckpointAsync(default);
            var run = await lease.StartRunAsync(RunKind.Incremental, default);
            LedgerEntry Entry(int i) => new(keys[i], $"sluice-{i:x32}", i % 7 == 0 ? ChangeOperation.Delete : ChangeOperation.Upsert);
            await lease.CommitBatchesAsync(
                [
                    new BatchCommit(run, 0, [.. Enumerable.Range(0, 2_500).Select(Entry)], [], new Checkpoint("test", 1, "after-0"), 2_500),
                    new BatchCommit(run, 1, [], [], new Checkpoint("test", 1, "after-1"), 3),
                    new BatchCommit(run, 2, [.. Enumerable.Range(2_500, 500).Select(Entry)], [], new Checkpoint("test", 1, "after-2"), 500),
                ], default);
        }

        Assert.Equal("0|2", await ScalarAsync(db, "SELECT string_agg(batch_seq::text, '|' ORDER BY batch_seq) FROM sluice.send_ledger"));
        Assert.Equal(
            string.Join("\n", keys.Select((k, i) => $"{k}\t{$"sluice-{i:x32}"}\t{(i % 7 == 0 ? 'd' : 'u')}")),
            await ScalarAsync(db, """
                SELECT string_agg(k || E'\t' || m || E'\t' || substr(l.operations, o::int, 1), E'\n' ORDER BY l.batch_seq, o)
                FROM sluice.send_ledger l, unnest(l.record_keys, l.message_ids) WITH ORDINALITY AS u(k, m, o)
                """));
    }

    [Fact]
    public async Task A_death_between_landing_and_commit_resumes_from_the_checkpoint_and_the_ledger_holds_each_event_once_as_a_uuid()
    {
        const int Events = 200;
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_death_between_landing_and_commit_resumes_from_the_checkpoint_and_the_ledger_holds_each_event_once_as_a_uuid));
        var store = await PostgresStateStore.OpenAsync(db);
        await ExecuteAsync(db, EventsTableDdl.CreateTable("public", "events"));
        var ids = Enumerable.Range(0, Events).Select(_ => Guid.NewGuid()).ToList();
        await using (var queue = new IngestQueue(db, "sluice"))
        {
            await queue.EnqueueAsync([.. ids.Select(Track)], default);
        }

        // The commit that holds the third batch never happens: the process "dies" once the events table holds it. By batch,
        // not by the count of commits: the engine groups acknowledged batches into one commit, so the 8 batches may take
        // only one or two, and a streaming run that never reached its "third commit" waited for more events for ever.
        var dying = new DyingStore(store, dieAtBatch: 2);
        await using (var destination = Destination(db))
        {
            await using var source = Source(db);
            await using var gate = new DeliveryGate(new RateLimitOptions(), TimeProvider.System);
            // A streaming run ends only by dying (or being stopped): if it never reached the dying commit, the deadline stops
            // it and the assertion below says so, rather than the test waiting for events for ever.
            using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await Assert.ThrowsAnyAsync<Exception>(() => new SyncRunner(dying, TimeProvider.System).RunAsync(Sync(source, destination, gate), RunKind.Incremental, deadline.Token));
        }

        Assert.True(dying.Died, "the run ended (or was stopped at its deadline) before the commit that was to fail: the test proves nothing");
        var committedBeforeDeath = await LedgerKeysAsync(db);
        var landedBeforeDeath = (long)(await ScalarAsync(db, "SELECT count(*) FROM public.events"))!;
        Assert.True(landedBeforeDeath > committedBeforeDeath, $"the events table holds {landedBeforeDeath} events, the ledger {committedBeforeDeath}: the death did not fall between landing and commit");

        await using (var destination = Destination(db))
        {
            await RunUntilAsync(db, store, destination, () => LedgerKeysAsync(db), Events);
        }

        // Each event landed once, and is in the ledger once, as a uuid: its key and message id stored once.
        Assert.Equal($"{Events}|{Events}", await ScalarAsync(db, "SELECT count(*) || '|' || count(DISTINCT event_id) FROM public.events"));
        Assert.Equal(0L, await ScalarAsync(db, "SELECT count(*) FROM sluice.send_ledger WHERE record_uuids IS NULL OR record_keys IS NOT NULL OR message_ids IS NOT NULL"));
        Assert.Equal(
            string.Join(",", ids.Select(i => i.ToString()).Order(StringComparer.Ordinal)),
            await ScalarAsync(db, "SELECT string_agg(k::text, ',' ORDER BY k::text) FROM sluice.send_ledger, unnest(record_uuids) k"));

        // The resumed run sent only what the dead one had not committed: nothing committed before came again.
        Assert.Equal(
            Events - committedBeforeDeath,
            await ScalarAsync(db, "SELECT sum(cardinality(record_uuids))::bigint FROM sluice.send_ledger WHERE run_id = (SELECT max(run_id) FROM sluice.send_ledger)"));

        var history = new RecordHistory(db);
        var key = ids[Events - 1].ToString();
        var sent = Assert.Single(await history.LoadAsync(SyncName, key, default));
        Assert.Equal(key, sent.MessageId);
        Assert.Equal(key, await history.KeyOfMessageIdAsync(SyncName, key, default));
    }

    private static BatchCommit Batch(long run, long sequence, params (string Key, string MessageId)[] sent) =>
        new(run, sequence, [.. sent.Select(s => new LedgerEntry(s.Key, s.MessageId, ChangeOperation.Upsert))], [], new Checkpoint("test", 1, $"after-{sequence}"), sent.Length);

    private static IngestEvent Track(Guid id) => new("web", id, IngestEventKind.Segment, "track", "Order Completed", DateTimeOffset.UtcNow,
        Encoding.UTF8.GetBytes($$$"""{"type":"track","event":"Order Completed","userId":"u1","messageId":"{{{id}}}","properties":{"total":1}}"""));

    private static async Task<long> LedgerKeysAsync(NpgsqlDataSource db) =>
        (long)(await ScalarAsync(db, "SELECT coalesce(sum(cardinality(coalesce(record_keys, record_uuids::text[]))), 0)::bigint FROM sluice.send_ledger"))!;

    private static EventsTableDestination Destination(NpgsqlDataSource db) =>
        new(SyncName, db, new PostgresConnectionOptions { Name = "wh", Database = "test" }, new EventsTableOptions { Schema = "public", Table = "events" });

    private static IngestQueueSource Source(NpgsqlDataSource db) =>
        new(db, "sluice", "web", new IngestQueueSourceOptions { PollInterval = TimeSpan.FromMilliseconds(20) });

    private static SyncDefinition Sync(IngestQueueSource source, EventsTableDestination destination, DeliveryGate gate) =>
        new(SyncName, source, MappingSpec.None(new ConfigLocation("sluice.yaml", 1, 1, "syncs." + SyncName)), destination, gate,
            new SyncRunOptions { BatchSize = 25, FlushWindow = TimeSpan.FromMilliseconds(50) });

    /// <summary>Runs the streaming sync until <paramref name="measure"/> reaches <paramref name="expected"/>, then stops it.</summary>
    private static async Task RunUntilAsync(NpgsqlDataSource db, PostgresStateStore store, EventsTableDestination destination, Func<Task<long>> measure, long expected)
    {
        await using var source = Source(db);
        await using var gate = new DeliveryGate(new RateLimitOptions(), TimeProvider.System);
        using var stop = new CancellationTokenSource();
        var run = new SyncRunner(store, TimeProvider.System).RunAsync(Sync(source, destination, gate), RunKind.Incremental, stop.Token);
        for (var attempt = 0; await measure() < expected; attempt++)
        {
            Assert.False(run.IsCompleted && !run.IsCanceled, $"the sync stopped: {(run.IsFaulted ? run.Exception!.InnerException!.Message : "done")}");
            Assert.True(attempt < 1_000, $"never reached {expected}");
            await Task.Delay(20);
        }

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Equal(expected, await measure());
    }

    /// <summary>The real state store, except that the commit holding batch <c>dieAtBatch</c> (or a later one) is never made: the process died first.</summary>
    private sealed class DyingStore(ISyncStateStore store, long dieAtBatch) : ISyncStateStore
    {
        private readonly long _dieAtBatch = dieAtBatch;

        public bool Died { get; private set; }

        public async Task<ISyncLease?> TryAcquireAsync(string syncName, CancellationToken ct) =>
            await store.TryAcquireAsync(syncName, ct) is { } lease ? new Lease(this, lease) : null;

        private sealed class Lease(DyingStore owner, ISyncLease inner) : ISyncLease
        {
            public string SyncName => inner.SyncName;

            public IRecordStateReader RecordStates => inner.RecordStates;

            public IRecordStateLookup RecordLookup => inner.RecordLookup;

            public Task<Checkpoint?> LoadCheckpointAsync(CancellationToken ct) => inner.LoadCheckpointAsync(ct);

            public Task<long> StartRunAsync(RunKind kind, CancellationToken ct) => inner.StartRunAsync(kind, ct);

            public Task CommitBatchAsync(BatchCommit commit, CancellationToken ct) => CommitBatchesAsync([commit], ct);

            public Task CommitBatchesAsync(IReadOnlyList<BatchCommit> commits, CancellationToken ct)
            {
                if (commits.Any(c => c.Sequence >= owner._dieAtBatch))
                {
                    owner.Died = true;
                    throw new InvalidOperationException("the process died between the destination's acknowledgement and the commit");
                }

                return inner.CommitBatchesAsync(commits, ct);
            }

            // A dead process records nothing more: the next run finds the run still marked running.
            public Task FinishRunAsync(long runId, RunOutcome outcome, RunAudit? audit, CancellationToken ct) => Task.CompletedTask;

            public ValueTask DisposeAsync() => inner.DisposeAsync();
        }
    }
}
