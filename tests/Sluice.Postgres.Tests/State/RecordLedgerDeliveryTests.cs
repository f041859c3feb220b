using System.Collections.Concurrent;
using System.Text;
using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Engine;
using Sluice.Core.Mapping;
using Sluice.Core.Records;
using Sluice.Core.State;
using Sluice.Postgres.Sources;
using Sluice.State;
using Sluice.Testing;

namespace Sluice.Postgres.Tests.State;

/// <summary>
/// The engine keeps the record ledger of a table sync (reverse ETL) on the real state store: the id a destination gives
/// each record lands in the ledger in the commit that moves the checkpoint, so a run that dies after the destination
/// acknowledged a batch and before that commit leaves no entry, and the rerun — resending under the same message ids,
/// which the destination deduplicates — leaves exactly one entry per key with the destination's id.
/// </summary>
public sealed class RecordLedgerDeliveryTests
{
    private const string SyncName = "users_to_ids";

    private const int Rows = 300;

    [Fact]
    public async Task Destination_ids_land_in_the_ledger_with_the_checkpoint_and_survive_a_death_between_write_and_commit_exactly_once()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(Destination_ids_land_in_the_ledger_with_the_checkpoint_and_survive_a_death_between_write_and_commit_exactly_once));
        await ExecuteAsync(db, $"CREATE TABLE users (id bigint PRIMARY KEY, email text, updated_at timestamptz NOT NULL); INSERT INTO users SELECT i, 'u' || i || '@example.com', '2024-01-01'::timestamptz + i * interval '1 second' FROM generate_series(1, {Rows}) i");
        var store = await PostgresStateStore.OpenAsync(db);
        var destination = new IdAssigningDestination();

        // The commit that holds the third batch never happens: the process "dies" once the destination has acknowledged it.
        // By batch, not by the count of commits: the engine groups acknowledged batches into one commit, so twelve batches
        // may take fewer than three, and the run would end without dying.
        var dying = new DyingStore(store, dieAtBatch: 2);
        await Assert.ThrowsAnyAsync<Exception>(() => new SyncRunner(dying, TimeProvider.System).RunAsync(Sync(db, destination), RunKind.Incremental, default));
        Assert.True(dying.Died, "the run ended before the commit that was to fail: the test proves nothing");
        var acknowledgedBeforeDeath = destination.Writes;
        var committedBeforeDeath = (long)(await ScalarAsync(db, "SELECT count(*) FROM sluice.record_state"))!;
        Assert.True(acknowledgedBeforeDeath > committedBeforeDeath, $"the destination acknowledged {acknowledgedBeforeDeath} records, the ledger holds {committedBeforeDeath}: nothing was lost between write and commit");

        var result = await new SyncRunner(store, TimeProvider.System).RunAsync(Sync(db, destination), RunKind.Incremental, default);

        Assert.Equal(Rows - committedBeforeDeath, result.Acknowledged);
        Assert.True(destination.Redelivered > 0, "no record was sent again after the death: the crash did not fall between write and commit");
        Assert.Equal(Rows, destination.Ids.Count); // each record once at the destination, after deduplication on its message id
        Assert.Equal((long)Rows, await ScalarAsync(db, "SELECT count(*) FROM sluice.record_state"));
        Assert.Equal($"{Rows}|sent|{SyncName}", await ScalarAsync(db, "SELECT concat_ws('|', count(DISTINCT record_key), string_agg(DISTINCT status, ','), string_agg(DISTINCT origin, ',')) FROM sluice.record_state"));
        await using var command = db.CreateCommand("SELECT record_key, destination_id FROM sluice.record_state");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            Assert.Equal(destination.Ids[$"m-{reader.GetString(0)}"], reader.GetString(1));
        }
    }

    [Fact]
    public async Task After_the_history_is_pruned_a_rerun_that_reads_every_row_again_sends_nothing_twice()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(After_the_history_is_pruned_a_rerun_that_reads_every_row_again_sends_nothing_twice));
        await ExecuteAsync(db, $"CREATE TABLE users (id bigint PRIMARY KEY, email text, updated_at timestamptz NOT NULL); INSERT INTO users SELECT i, 'u' || i || '@example.com', '2024-01-01'::timestamptz + i * interval '1 second' FROM generate_series(1, {Rows}) i");
        var store = await PostgresStateStore.OpenAsync(db);
        var destination = new IdAssigningDestination();
        Assert.Equal(Rows, (await new SyncRunner(store, TimeProvider.System).RunAsync(Sync(db, destination), RunKind.Incremental, default)).Acknowledged);
        var writes = destination.Writes;

        // A year on, the first run's history is past every default retention.
        var pruned = await store.Retention(StateRetention.Default, new TimerAwareFakeTimeProvider(DateTimeOffset.UtcNow.AddYears(1))).PruneAsync(default);
        Assert.True(pruned.Sends > 0, $"nothing was pruned, so the test proves nothing: {pruned}");

        // Every row's cursor moves with its values unchanged (a trigger, a backfill): the rerun reads all of them again
        // and must find each one's fingerprint and destination id still in the ledger.
        await ExecuteAsync(db, "UPDATE users SET updated_at = updated_at + interval '1 day'");
        var rerun = await new SyncRunner(store, TimeProvider.System).RunAsync(Sync(db, destination), RunKind.Incremental, default);

        Assert.Equal(Rows, rerun.Read);
        Assert.Equal(0, rerun.Acknowledged);
        Assert.Equal(writes, destination.Writes);
        Assert.Equal((long)Rows, await ScalarAsync(db, "SELECT count(*) FROM sluice.record_state WHERE destination_id IS NOT NULL AND fingerprint IS NOT NULL"));
    }

    private static SyncDefinition Sync(NpgsqlDataSource db, IdAssigningDestination destination)
    {
        var location = new ConfigLocation("test.yaml", 1, 1, "mapping");
        var source = new TableSource(db, new PostgresConnectionOptions { Name = "app", Database = "test" }, new TableSourceOptions { Table = "users", Cursor = "updated_at", PageSize = 40 });
        return new SyncDefinition(SyncName, source, new MappingSpec([new FieldSpec("id", "id", null, location)], location), destination,
            new DeliveryGate(new RateLimitOptions(), TimeProvider.System), new SyncRunOptions { BatchSize = 25 });
    }

    private static async Task ExecuteAsync(NpgsqlDataSource db, string sql)
    {
        await using var command = db.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<object?> ScalarAsync(NpgsqlDataSource db, string sql)
    {
        await using var command = db.CreateCommand(sql);
        return await command.ExecuteScalarAsync();
    }

    /// <summary>
    /// Gives each new message id an id of its own (as Salesforce gives a new record its Id) and answers a message id it
    /// has seen with the id it gave then: a resend is deduplicated, as Segment and the events table do.
    /// </summary>
    private sealed class IdAssigningDestination : IDestination
    {
        private int _next;
        private int _writes;
        private int _redelivered;

        public ConcurrentDictionary<string, string> Ids { get; } = new(StringComparer.Ordinal);

        /// <summary>It creates ids the sync must remember (a Salesforce Id, a target row's key).</summary>
        public bool RemembersRecords => true;

        public int Writes => _writes;

        public int Redelivered => _redelivered;

        public string Description => "id-assigning test destination";

        public MappingShape Shape { get; } = new("Test", [new MappingTarget("id", IsObject: false, Required: true, "the record id")], []);

        public DestinationLimits Limits { get; } = new(MaxRecords: 100, MaxBatchBytes: 1_000_000, MaxRecordBytes: 1_000, MaxInFlight: 2);

        public Task CheckAsync(CancellationToken ct) => Task.CompletedTask;

        public EncodedRecord Encode(Change change, CompiledMapping mapping) => new(change, $"m-{change.Key}", Encoding.UTF8.GetBytes($"{{\"id\":\"{change.Key}\"}}"));

        public Task<IReadOnlyList<WriteResult>> WriteAsync(IReadOnlyList<EncodedRecord> batch, CancellationToken ct)
        {
            var results = new WriteResult[batch.Count];
            for (var i = 0; i < batch.Count; i++)
            {
                Interlocked.Increment(ref _writes);
                var known = Ids.ContainsKey(batch[i].MessageId);
                var id = Ids.GetOrAdd(batch[i].MessageId, _ => $"D{Interlocked.Increment(ref _next):D6}");
                if (known)
                {
                    Interlocked.Increment(ref _redelivered);
                }

                results[i] = WriteResult.Acknowledged(id);
            }

            return Task.FromResult<IReadOnlyList<WriteResult>>(results);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
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

            public Task<Core.Checkpoints.Checkpoint?> LoadCheckpointAsync(CancellationToken ct) => inner.LoadCheckpointAsync(ct);

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
