using System.Text;
using Npgsql;
using Sluice.Core.Checkpoints;
using Sluice.Core.Configuration;
using Sluice.Core.Engine;
using Sluice.Core.Engine.WriteBack;
using Sluice.Core.Mapping;
using Sluice.Core.State;
using Sluice.Postgres.Destinations;
using Sluice.State;
using Sluice.State.Ingest;
using Sluice.Testing;
using static Sluice.Postgres.Tests.TestSql;

namespace Sluice.Postgres.Tests.Destinations;

/// <summary>
/// Where the events table is in the state store's database, each batch lands in the transaction that commits its
/// checkpoint and send ledger: a run that dies after a batch's rows were written and before that commit leaves none of
/// them, and the rerun lands every event once. Events already in the table (left by a landing that committed its rows
/// apart from its checkpoint, as before) are skipped inside that transaction without losing the rest of the batch.
/// </summary>
public sealed class EventsTableTransactionTests
{
    private const string SyncName = "web_to_events";
    private const int BatchSize = 25;

    [Fact]
    public async Task A_death_between_a_batch_landed_and_its_commit_leaves_none_of_its_events_and_the_rerun_lands_each_once()
    {
        const int Events = 200;
        await using var db = await TestPostgres.CreateDataSourceAsync("events_tx_death");
        var store = await PostgresStateStore.OpenAsync(db);
        await ExecuteAsync(db, EventsTableDdl.CreateTable("public", "events"));
        var ids = await EnqueueAsync(db, Events);

        // The commit that holds the third batch never happens: the process "died" after the batch's rows were written in
        // the shared transaction. By batch, not by commit count: the engine may group acknowledged batches into one commit.
        var dying = new DyingStore(store, dieAtBatch: 2);
        await using (var destination = Destination(db))
        {
            await using var source = Source(db);
            await using var gate = new DeliveryGate(new RateLimitOptions(), TimeProvider.System);
            using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await Assert.ThrowsAnyAsync<Exception>(() => new SyncRunner(dying, TimeProvider.System).RunAsync(Sync(source, destination, gate), RunKind.Incremental, deadline.Token));
            Assert.True(destination.DirectCopy.Direct >= 3, $"only {destination.DirectCopy.Direct} batches were written before the death: it did not fall between the rows and their commit");
        }

        Assert.True(dying.Died, "the run ended (or was stopped at its deadline) before the commit that was to fail: the test proves nothing");
        Assert.True(dying.Shared, "the batches were not written in the state store's transaction");

        // Exactly the two committed batches are in the table, and in the ledger; the third batch's rows died with its commit.
        Assert.Equal(2L * BatchSize, await LedgerKeysAsync(db));
        Assert.Equal(2L * BatchSize, await ScalarAsync(db, "SELECT count(*) FROM public.events"));
        Assert.Equal(0L, await ScalarAsync(db, """
            SELECT count(*) FROM public.events e
            WHERE NOT EXISTS (SELECT 1 FROM sluice.send_ledger l WHERE e.event_id = ANY (l.record_uuids))
            """));

        await using (var destination = Destination(db))
        {
            await RunUntilAsync(db, store, destination, Events);

            // The rerun met none of its events in the table: nothing of the dead batch had stayed behind.
            Assert.Equal(0L, destination.DirectCopy.Conflicts);
        }

        Assert.Equal($"{Events}|{Events}", await ScalarAsync(db, "SELECT count(*) || '|' || count(DISTINCT event_id) FROM public.events"));
        Assert.Equal(
            string.Join(",", ids.Select(i => i.ToString()).Order(StringComparer.Ordinal)),
            await ScalarAsync(db, "SELECT string_agg(event_id::text, ',' ORDER BY event_id::text) FROM public.events"));
        Assert.Equal((long)Events, await LedgerKeysAsync(db));
        Assert.Equal(
            Events - (2L * BatchSize),
            await ScalarAsync(db, "SELECT sum(cardinality(record_uuids))::bigint FROM sluice.send_ledger WHERE run_id = (SELECT max(run_id) FROM sluice.send_ledger)"));
    }

    [Fact]
    public async Task Events_already_in_the_table_are_skipped_inside_the_shared_transaction_and_the_rest_of_their_batches_land_once()
    {
        const int Events = 100;
        await using var db = await TestPostgres.CreateDataSourceAsync("events_tx_conflict");
        var store = await PostgresStateStore.OpenAsync(db);
        await ExecuteAsync(db, EventsTableDdl.CreateTable("public", "events"));
        var ids = await EnqueueAsync(db, Events);

        // What a landing that committed its rows apart from its checkpoint left behind when it died: some events of the
        // queue already in the table, spread over several batches, and not in the ledger.
        await ExecuteAsync(db, $$"""
            INSERT INTO public.events (event_id, event_type, occurred_at, source, payload, metadata, received_at)
            SELECT id, 'Order Completed', now(), 'web', '{}', '{}', now()
            FROM unnest(ARRAY['{{string.Join("','", ids.Where((_, i) => i % 10 == 3))}}']::uuid[]) id
            """);

        var sharing = new DyingStore(store, dieAtBatch: long.MaxValue);
        await using (var destination = Destination(db))
        {
            await RunUntilAsync(db, sharing, destination, Events);
            Assert.True(destination.DirectCopy.Conflicts >= 1, "no batch met an event already in the table: the test proves nothing");
        }

        Assert.True(sharing.Shared, "the batches were not written in the state store's transaction");
        Assert.Equal($"{Events}|{Events}", await ScalarAsync(db, "SELECT count(*) || '|' || count(DISTINCT event_id) FROM public.events"));

        // The events landed by the sync carry their properties; the ones that were there stayed as they were.
        Assert.Equal((long)(Events - (Events / 10)), await ScalarAsync(db, "SELECT count(*) FROM public.events WHERE payload ? 'total'"));
        Assert.Equal((long)Events, await LedgerKeysAsync(db));
    }

    private static async Task<List<Guid>> EnqueueAsync(NpgsqlDataSource db, int events)
    {
        var ids = Enumerable.Range(0, events).Select(_ => Guid.NewGuid()).ToList();
        await using var queue = new IngestQueue(db, "sluice");
        await queue.EnqueueAsync([.. ids.Select(Track)], default);
        return ids;
    }

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
            new SyncRunOptions { BatchSize = BatchSize, FlushWindow = TimeSpan.FromMilliseconds(50) });

    /// <summary>Runs the streaming sync until the ledger holds <paramref name="expected"/> events, then stops it.</summary>
    private static async Task RunUntilAsync(NpgsqlDataSource db, ISyncStateStore store, EventsTableDestination destination, long expected)
    {
        await using var source = Source(db);
        await using var gate = new DeliveryGate(new RateLimitOptions(), TimeProvider.System);
        using var stop = new CancellationTokenSource();
        var run = new SyncRunner(store, TimeProvider.System).RunAsync(Sync(source, destination, gate), RunKind.Incremental, stop.Token);
        for (var attempt = 0; await LedgerKeysAsync(db) < expected; attempt++)
        {
            Assert.False(run.IsCompleted && !run.IsCanceled, $"the sync stopped: {(run.IsFaulted ? run.Exception!.InnerException!.Message : "done")}");
            Assert.True(attempt < 1_000, $"never reached {expected}");
            await Task.Delay(20);
        }

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Equal(expected, await LedgerKeysAsync(db));
    }

    /// <summary>
    /// The real state store, sharing its transactions as it does, except that the commit holding batch <c>dieAtBatch</c>
    /// (or a later one) is never made: the process died first.
    /// </summary>
    private sealed class DyingStore(ISyncStateStore store, long dieAtBatch) : ISyncStateStore
    {
        private readonly long _dieAtBatch = dieAtBatch;

        public bool Died { get; private set; }

        public bool Shared { get; private set; }

        public async Task<ISyncLease?> TryAcquireAsync(string syncName, CancellationToken ct) =>
            await store.TryAcquireAsync(syncName, ct) is { } lease ? new Lease(this, lease) : null;

        private sealed class Lease(DyingStore owner, ISyncLease inner) : ISyncLease
        {
            public string SyncName => inner.SyncName;

            public IRecordStateReader RecordStates => inner.RecordStates;

            public IRecordStateLookup RecordLookup => inner.RecordLookup;

            public bool CommitsWriteBack(WriteBackStatement statement) => inner.CommitsWriteBack(statement);

            public bool SharesTransactionWith(string database) => inner.SharesTransactionWith(database);

            public Task<System.Data.Common.DbTransaction> BeginSharedTransactionAsync(CancellationToken ct)
            {
                owner.Shared = true;
                return inner.BeginSharedTransactionAsync(ct);
            }

            public Task<Checkpoint?> LoadCheckpointAsync(CancellationToken ct) => inner.LoadCheckpointAsync(ct);

            public Task<long> StartRunAsync(RunKind kind, CancellationToken ct) => inner.StartRunAsync(kind, ct);

            public Task CommitBatchAsync(BatchCommit commit, CancellationToken ct) => CommitBatchesAsync([commit], ct);

            public Task CommitBatchesAsync(IReadOnlyList<BatchCommit> commits, CancellationToken ct)
            {
                if (commits.Any(c => c.Sequence >= owner._dieAtBatch))
                {
                    owner.Died = true;
                    throw new InvalidOperationException("the process died between the batch's rows and its commit");
                }

                return inner.CommitBatchesAsync(commits, ct);
            }

            // A dead process records nothing more: the next run finds the run still marked running.
            public Task FinishRunAsync(long runId, RunOutcome outcome, RunAudit? audit, CancellationToken ct) => Task.CompletedTask;

            public ValueTask DisposeAsync() => inner.DisposeAsync();
        }
    }
}
