using Npgsql;
using Sluice.Core.Checkpoints;
using Sluice.Core.Errors;
using Sluice.Core.Records;
using Sluice.Core.State;
using Sluice.State;
using Sluice.Testing;

namespace Sluice.Postgres.Tests.State;

public sealed class PostgresStateStoreTests
{
    [Fact]
    public async Task Processes_starting_at_once_apply_each_migration_exactly_once()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync(nameof(Processes_starting_at_once_apply_each_migration_exactly_once));
        // Separate data sources stand for separate processes: no shared pool, no shared state.
        var dataSources = Enumerable.Range(0, 8).Select(_ => NpgsqlDataSource.Create(connectionString)).ToList();
        try
        {
            await Task.WhenAll(dataSources.Select(d => PostgresStateStore.OpenAsync(d)));
            await using var count = dataSources[0].CreateCommand("SELECT count(*), count(DISTINCT version) FROM sluice.schema_migrations");
            await using var reader = await count.ExecuteReaderAsync();
            await reader.ReadAsync();
            Assert.True(reader.GetInt64(0) >= 1);
            Assert.Equal(reader.GetInt64(0), reader.GetInt64(1));
        }
        finally
        {
            foreach (var d in dataSources)
            {
                await d.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Opening_a_store_that_has_every_migration_waits_for_no_migration_lock()
    {
        // Every `sluice` command opens the store; once it is migrated, that is a read, not a turn at the migration lock.
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(Opening_a_store_that_has_every_migration_waits_for_no_migration_lock));
        await PostgresStateStore.OpenAsync(db);
        await using var holder = await db.OpenConnectionAsync();
        await using var transaction = await holder.BeginTransactionAsync();
        await using (var hold = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", holder, transaction))
        {
            hold.Parameters.Add(new NpgsqlParameter { Value = new StateSchema("sluice").LockKey(0) });
            await hold.ExecuteNonQueryAsync();
        }

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var opened = await PostgresStateStore.OpenAsync(db, ct: deadline.Token);

        Assert.NotNull(opened);
        await transaction.RollbackAsync();
    }

    [Fact]
    public async Task Opening_a_migrated_store_again_changes_nothing()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(Opening_a_migrated_store_again_changes_nothing));
        await PostgresStateStore.OpenAsync(db);
        await using var count = db.CreateCommand("SELECT count(*) FROM sluice.schema_migrations");
        var applied = await count.ExecuteScalarAsync();
        await PostgresStateStore.OpenAsync(db);
        Assert.Equal(applied, await count.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Only_one_lease_per_sync_exists_at_a_time()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(Only_one_lease_per_sync_exists_at_a_time));
        var store = await PostgresStateStore.OpenAsync(db);
        await using var otherProcess = NpgsqlDataSource.Create(db.ConnectionString);
        var other = await PostgresStateStore.OpenAsync(otherProcess);

        var first = await store.TryAcquireAsync("users", default);
        Assert.NotNull(first);
        Assert.Null(await other.TryAcquireAsync("users", default));
        await using (var unrelated = await other.TryAcquireAsync("orders", default))
        {
            Assert.NotNull(unrelated);
        }

        await first.DisposeAsync();
        await using var again = await other.TryAcquireAsync("users", default);
        Assert.NotNull(again);
    }

    [Fact]
    public async Task A_commit_writes_ledger_dead_letters_checkpoint_and_run_counters_together()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_commit_writes_ledger_dead_letters_checkpoint_and_run_counters_together));
        var store = await PostgresStateStore.OpenAsync(db);
        await using var lease = (await store.TryAcquireAsync("users", default))!;
        Assert.Null(await lease.LoadCheckpointAsync(default));
        var run = await lease.StartRunAsync(RunKind.Incremental, default);

        await lease.CommitBatchAsync(new BatchCommit(run, 0,
            [new LedgerEntry("1", "m-1", ChangeOperation.Upsert), new LedgerEntry("2", "m-2", ChangeOperation.Upsert)],
            [new DeadLetter("3", "m-3", "too big", "{}")],
            new Checkpoint("test", 1, "after-3"), 3), default);
        await lease.CommitBatchAsync(new BatchCommit(run, 1, [new LedgerEntry("4", "m-4", ChangeOperation.Upsert)], [], new Checkpoint("test", 1, "after-4"), 1), default);
        await lease.FinishRunAsync(run, new RunOutcome(RunStatus.Succeeded), default);

        Assert.Equal(new Checkpoint("test", 1, "after-4"), await lease.LoadCheckpointAsync(default));
        Assert.Equal(3L, await Scalar(db, "SELECT sum(cardinality(record_keys)) FROM sluice.send_ledger"));
        Assert.Equal("too big", await Scalar(db, "SELECT reason FROM sluice.dead_letters"));
        Assert.Equal("succeeded|4|3|1|2", await Scalar(db, "SELECT concat_ws('|', status, records_read, acknowledged, rejected, batches) FROM sluice.runs"));
    }

    [Fact]
    public async Task Batches_committed_together_are_recorded_as_each_alone_in_one_transaction()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(Batches_committed_together_are_recorded_as_each_alone_in_one_transaction));
        var store = await PostgresStateStore.OpenAsync(db);
        await using var lease = (await store.TryAcquireAsync("users", default))!;
        await lease.LoadCheckpointAsync(default);
        var run = await lease.StartRunAsync(RunKind.Incremental, default);

        await lease.CommitBatchesAsync(
            [
                new BatchCommit(run, 0, [new LedgerEntry("1", "m-1", ChangeOperation.Upsert), new LedgerEntry("2", "m-2", ChangeOperation.Upsert)], [new DeadLetter("3", "m-3", "too big", "{}")], new Checkpoint("test", 1, "after-3"), 3),
                new BatchCommit(run, 1, [new LedgerEntry("4", "m-4", ChangeOperation.Delete)], [], new Checkpoint("test", 1, "after-4"), 1),
            ], default);
        await lease.CommitBatchAsync(new BatchCommit(run, 2, [new LedgerEntry("5", "m-5", ChangeOperation.Upsert)], [], new Checkpoint("test", 1, "after-5"), 1), default);

        Assert.Equal(new Checkpoint("test", 1, "after-5"), await lease.LoadCheckpointAsync(default));
        Assert.Equal("0:1,2|1:4|2:5", await Scalar(db, "SELECT string_agg(batch_seq || ':' || array_to_string(record_keys, ','), '|' ORDER BY batch_seq) FROM sluice.send_ledger"));
        Assert.Equal("0:after-3|1:after-4|2:after-5", await Scalar(db, "SELECT string_agg(batch_seq || ':' || position, '|' ORDER BY batch_seq) FROM sluice.run_batches"));
        Assert.Equal("5|4|1|3", await Scalar(db, "SELECT concat_ws('|', records_read, acknowledged, rejected, batches) FROM sluice.runs"));
        Assert.Equal(1L, await Scalar(db, "SELECT count(*) FROM sluice.dead_letters"));
    }

    [Fact]
    public async Task Batches_committed_together_after_someone_else_moved_the_checkpoint_leave_nothing_behind()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(Batches_committed_together_after_someone_else_moved_the_checkpoint_leave_nothing_behind));
        var store = await PostgresStateStore.OpenAsync(db);
        await using var lease = (await store.TryAcquireAsync("users", default))!;
        await lease.LoadCheckpointAsync(default);
        var run = await lease.StartRunAsync(RunKind.Incremental, default);
        await lease.CommitBatchAsync(new BatchCommit(run, 0, [new LedgerEntry("1", "m-1", ChangeOperation.Upsert)], [], new Checkpoint("test", 1, "ours-1"), 1), default);
        await Scalar(db, "UPDATE sluice.checkpoints SET value = 'theirs', generation = generation + 1");

        await Assert.ThrowsAsync<CheckpointConflictException>(() => lease.CommitBatchesAsync(
            [
                new BatchCommit(run, 1, [new LedgerEntry("2", "m-2", ChangeOperation.Upsert)], [new DeadLetter("9", null, "bad", null)], new Checkpoint("test", 1, "ours-2"), 2),
                new BatchCommit(run, 2, [new LedgerEntry("3", "m-3", ChangeOperation.Upsert)], [], new Checkpoint("test", 1, "ours-3"), 1),
            ], default));

        Assert.Equal("theirs", await Scalar(db, "SELECT value FROM sluice.checkpoints"));
        Assert.Equal(1L, await Scalar(db, "SELECT count(*) FROM sluice.send_ledger"));
        Assert.Equal(0L, await Scalar(db, "SELECT count(*) FROM sluice.dead_letters"));
        Assert.Equal(1L, await Scalar(db, "SELECT count(*) FROM sluice.run_batches"));
    }

    [Fact]
    public async Task A_checkpoint_moved_by_someone_else_stops_the_commit_and_keeps_their_value()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_checkpoint_moved_by_someone_else_stops_the_commit_and_keeps_their_value));
        var store = await PostgresStateStore.OpenAsync(db);
        await using var lease = (await store.TryAcquireAsync("users", default))!;
        await lease.LoadCheckpointAsync(default);
        var run = await lease.StartRunAsync(RunKind.Incremental, default);
        await lease.CommitBatchAsync(new BatchCommit(run, 0, [new LedgerEntry("1", "m-1", ChangeOperation.Upsert)], [], new Checkpoint("test", 1, "ours-1"), 1), default);

        await Scalar(db, "UPDATE sluice.checkpoints SET value = 'theirs', generation = generation + 1");

        await Assert.ThrowsAsync<CheckpointConflictException>(() => lease.CommitBatchAsync(
            new BatchCommit(run, 1, [new LedgerEntry("2", "m-2", ChangeOperation.Upsert)], [], new Checkpoint("test", 1, "ours-2"), 1), default));
        Assert.Equal("theirs", await Scalar(db, "SELECT value FROM sluice.checkpoints"));
        Assert.Equal(1L, await Scalar(db, "SELECT sum(cardinality(record_keys)) FROM sluice.send_ledger"));
    }

    [Fact]
    public async Task A_first_checkpoint_written_concurrently_by_someone_else_is_a_conflict()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_first_checkpoint_written_concurrently_by_someone_else_is_a_conflict));
        var store = await PostgresStateStore.OpenAsync(db);
        await using var lease = (await store.TryAcquireAsync("users", default))!;
        await lease.LoadCheckpointAsync(default);
        var run = await lease.StartRunAsync(RunKind.Incremental, default);
        await Scalar(db, "INSERT INTO sluice.checkpoints (sync_id, format, version, value, generation) SELECT id, 'test', 1, 'theirs', 1 FROM sluice.syncs");

        await Assert.ThrowsAsync<CheckpointConflictException>(() => lease.CommitBatchAsync(
            new BatchCommit(run, 0, [], [], new Checkpoint("test", 1, "ours"), 1), default));
    }

    [Fact]
    public async Task An_unreachable_state_database_is_named_plainly()
    {
        await using var db = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Database=x;Username=x;Timeout=3");
        var error = await Assert.ThrowsAnyAsync<SluiceException>(() => PostgresStateStore.OpenAsync(db));
        Assert.Contains("connection refused", error.Message, StringComparison.Ordinal);
    }

    private static async Task<object?> Scalar(NpgsqlDataSource db, string sql)
    {
        await using var command = db.CreateCommand(sql);
        return await command.ExecuteScalarAsync();
    }
}
