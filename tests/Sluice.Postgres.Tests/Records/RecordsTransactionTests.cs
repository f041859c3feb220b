using Npgsql;
using Sluice.Core.Checkpoints;
using Sluice.Core.Engine;
using Sluice.Core.Engine.WriteBack;
using Sluice.Core.State;
using Sluice.Postgres.Destinations.Records;
using Sluice.Postgres.Sources;
using Sluice.State;
using Sluice.Testing;
using static Sluice.Postgres.Tests.TestSql;

namespace Sluice.Postgres.Tests.Records;

/// <summary>
/// The records export writes each batch in the transaction that commits its checkpoint and ledgers when the state store
/// is in the same database: a run that dies after a batch was written and before its commit leaves none of that batch's
/// rows. With the state elsewhere the batch's rows stay, and the rerun's writes are idempotent by key.
/// </summary>
public sealed class RecordsTransactionTests
{
    private const int Rows = 300;
    private const int BatchSize = 50;

    private const string Setup = $"""
        CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, ltv numeric, plan text, updated_at timestamptz NOT NULL);
        INSERT INTO users SELECT i, 'u' || i || '@x', i * 10, (ARRAY['free','pro'])[1 + i % 2], '2024-01-01'::timestamptz + i * interval '1 second'
        FROM generate_series(1, 300) i;
        """;

    [Fact]
    public async Task A_run_that_dies_between_a_batch_written_and_its_commit_leaves_none_of_its_rows_when_the_state_is_in_the_same_database()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync("records_tx_same");
        var bed = new RecordsBed(db);
        await bed.CreateTablesAsync();
        await ExecuteAsync(db, Setup);
        var store = await PostgresStateStore.OpenAsync(db);
        var dying = new DyingStore(store, dieAtCommit: 3);
        await using var destination = bed.Destination(RecordsMode.Sync, new Dictionary<string, string> { ["pro"] = "plan = 'pro'" });

        await Assert.ThrowsAnyAsync<Exception>(() => new SyncRunner(dying, TimeProvider.System).RunAsync(Sync(db, bed, destination), RunKind.Incremental, default));

        Assert.True(dying.Died, "the run ended before the commit that was to fail: the test proves nothing");
        // Two batches committed with their checkpoint; the third was written, then its commit died, and took its rows with it.
        Assert.Equal(2 * BatchSize, (long)(await ScalarAsync(db, "SELECT count(*) FROM customers"))!);
        Assert.Equal(2L * BatchSize, await ScalarAsync(db, "SELECT sum(acknowledged)::bigint FROM sluice.run_batches"));
        Assert.Equal(0L, await ScalarAsync(db, $"SELECT count(*) FROM customers WHERE id > {2 * BatchSize}"));
        Assert.Equal(0L, await ScalarAsync(db, $"SELECT count(*) FROM customer_groups WHERE customer_id > {2 * BatchSize}"));
        Assert.True(dying.Shared, "the batches were not written in the state store's transaction");

        var rerun = await new SyncRunner(store, TimeProvider.System).RunAsync(Sync(db, bed, destination), RunKind.Incremental, default);

        Assert.Equal(Rows - (2 * BatchSize), rerun.Acknowledged);
        await AssertEqualToTheSourceAsync(db);
    }

    [Fact]
    public async Task With_the_state_in_another_database_a_batch_written_before_a_death_stays_and_the_rerun_writes_it_again_harmlessly()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync("records_tx_other");
        await using var stateDb = await TestPostgres.CreateDataSourceAsync("records_tx_state");
        var bed = new RecordsBed(db);
        await bed.CreateTablesAsync();
        await ExecuteAsync(db, Setup);
        var store = await PostgresStateStore.OpenAsync(stateDb);
        var dying = new DyingStore(store, dieAtCommit: 3);
        await using var destination = bed.Destination(RecordsMode.Sync, new Dictionary<string, string> { ["pro"] = "plan = 'pro'" });

        await Assert.ThrowsAnyAsync<Exception>(() => new SyncRunner(dying, TimeProvider.System).RunAsync(Sync(db, bed, destination), RunKind.Incremental, default));

        Assert.True(dying.Died, "the run ended before the commit that was to fail: the test proves nothing");
        Assert.False(dying.Shared, "a state store in another database shared its transaction");
        Assert.True((long)(await ScalarAsync(db, "SELECT count(*) FROM customers"))! > 2 * BatchSize, "the written batch's rows are not there");

        var rerun = await new SyncRunner(store, TimeProvider.System).RunAsync(Sync(db, bed, destination), RunKind.Incremental, default);

        Assert.Equal(Rows - (2 * BatchSize), rerun.Acknowledged);
        await AssertEqualToTheSourceAsync(db);
    }

    private static async Task AssertEqualToTheSourceAsync(NpgsqlDataSource db)
    {
        const string Expected = "SELECT id, email, ltv, plan FROM users";
        const string Held = "SELECT id, email, lifetime_value, plan FROM customers";
        Assert.Equal((long)Rows, await ScalarAsync(db, "SELECT count(*) FROM customers"));
        Assert.Equal(0L, await ScalarAsync(db, $"SELECT count(*) FROM (({Expected}) EXCEPT ALL ({Held})) missing"));
        Assert.Equal(0L, await ScalarAsync(db, $"SELECT count(*) FROM (({Held}) EXCEPT ALL ({Expected})) extra"));
        Assert.Equal(0L, await ScalarAsync(db, """
            SELECT count(*) FROM ((SELECT id FROM users WHERE plan = 'pro') EXCEPT ALL (SELECT customer_id FROM customer_groups WHERE group_name = 'pro')) missing
            """));
        Assert.Equal(await ScalarAsync(db, "SELECT count(*) FROM users WHERE plan = 'pro'"), await ScalarAsync(db, "SELECT count(*) FROM customer_groups"));
    }

    private static SyncDefinition Sync(NpgsqlDataSource db, RecordsBed bed, RecordsDestination destination)
    {
        var source = new TableSource(db, new PostgresConnectionOptions { Name = "app", Database = "test" },
            new TableSourceOptions { Table = "users", Cursor = "updated_at", PageSize = 40 });
        return new SyncDefinition("users_export", source, bed.Mapping, destination, new DeliveryGate(new RateLimitOptions(), TimeProvider.System),
            new SyncRunOptions { BatchSize = BatchSize });
    }

    /// <summary>
    /// The real state store, except that the run's <c>dieAtCommit</c>-th batch commit is never made: the process "died" after
    /// the destination wrote that batch and before the commit. Everything else goes to the real lease.
    /// </summary>
    private sealed class DyingStore(ISyncStateStore store, int dieAtCommit) : ISyncStateStore
    {
        private readonly int _dieAtCommit = dieAtCommit;
        private int _commits;

        public bool Died { get; private set; }

        /// <summary>Whether a batch was written in a transaction the lease shared.</summary>
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

            public async Task CommitBatchesAsync(IReadOnlyList<BatchCommit> commits, CancellationToken ct)
            {
                // The engine hands several acknowledged batches to one call when they queue up (a group commit), so
                // batches are counted, not calls: the ones before the dying one are committed, as smaller groups would be.
                var before = owner._commits;
                owner._commits += commits.Count;
                if (owner._commits >= owner._dieAtCommit)
                {
                    var made = owner._dieAtCommit - 1 - before;
                    if (made > 0)
                    {
                        await inner.CommitBatchesAsync([.. commits.Take(made)], ct);
                    }

                    owner.Died = true;
                    throw new InvalidOperationException("the process died between the destination's write and the commit");
                }

                await inner.CommitBatchesAsync(commits, ct);
            }

            // A dead process records nothing more.
            public Task FinishRunAsync(long runId, RunOutcome outcome, RunAudit? audit, CancellationToken ct) => Task.CompletedTask;

            public ValueTask DisposeAsync() => inner.DisposeAsync();
        }
    }
}
