using System.Text.Json;
using Npgsql;
using Sluice.Core.Checkpoints;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Engine.Diffing;
using Sluice.Core.Records;
using Sluice.Core.State;
using Sluice.Postgres.Sources;
using Sluice.State;
using Sluice.Testing;
using static Sluice.Postgres.Tests.TestSql;

namespace Sluice.Postgres.Tests.Sources;

/// <summary>
/// A table-shaped diffed source reads keys with <c>xmin</c> and fetches only the rows written since its last complete
/// read; every case the fingerprint diff handles must still come out, and a source that is not table-shaped, or a
/// snapshot that cannot be trusted, falls back to reading every row.
/// </summary>
public sealed class QuerySourceSignalTests
{
    private const string Users = """
        CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, plan_id int NOT NULL, active boolean NOT NULL DEFAULT true);
        INSERT INTO users SELECT i, 'user' || i || '@example.com', 1, true FROM generate_series(1, 20) i;
        CREATE TABLE plans (id int PRIMARY KEY, name text NOT NULL);
        INSERT INTO plans VALUES (1, 'free'), (2, 'pro');
        """;

    public static TheoryData<string> TableShaped => new()
    {
        "table",
        "SELECT id, email, plan_id FROM users WHERE active",
        "SELECT u.id, u.email AS email, u.plan_id FROM public.users AS u WHERE u.active AND u.plan_id NOT IN (SELECT id FROM plans WHERE name = 'gone')",
    };

    [Theory]
    [MemberData(nameof(TableShaped))]
    public async Task Only_rows_written_since_the_last_complete_read_are_fetched_and_every_change_is_found(string query)
    {
        await using var bed = await Bed.StartAsync(nameof(Only_rows_written_since_the_last_complete_read_are_fetched_and_every_change_is_found) + query.Length, query);
        Assert.Equal(20, (await bed.SyncAsync()).Count);
        Assert.Equal(20, bed.Fetched);

        await ExecuteAsync(bed.Db, """
            UPDATE users SET email = 'new3@example.com' WHERE id = 3;
            UPDATE users SET plan_id = 2 WHERE id = 12;
            DELETE FROM users WHERE id = 20;
            INSERT INTO users VALUES (21, 'user21@example.com', 1, true);
            UPDATE users SET email = email WHERE id = 5; -- touched, not changed
            """);
        var second = await bed.SyncAsync();

        // A bigint key comes in the table's order, deletes last (QuerySourceNativeKeyTests): compared in key text order.
        Assert.Equal([("12", ChangeKinds.Changed), ("20", ChangeKinds.Deleted), ("21", ChangeKinds.Added), ("3", ChangeKinds.Changed)],
            second.Select(c => (c.Key, c.Kind)).OrderBy(c => c.Key, StringComparer.Ordinal));
        Assert.Equal(4, bed.Fetched); // 3, 5, 12 and 21: written since; the deleted row by the key scan alone
        Assert.Empty(await bed.SyncAsync());
        Assert.Equal(0, bed.Fetched);
    }

    [Fact]
    public async Task A_row_that_leaves_the_querys_WHERE_is_deleted_and_one_that_enters_it_unwritten_is_added()
    {
        await using var bed = await Bed.StartAsync(nameof(A_row_that_leaves_the_querys_WHERE_is_deleted_and_one_that_enters_it_unwritten_is_added),
            "SELECT id, email, plan_id FROM users WHERE active AND plan_id NOT IN (SELECT id FROM plans WHERE name = 'gone')");
        await ExecuteAsync(bed.Db, "UPDATE users SET plan_id = 2 WHERE id IN (1, 2); UPDATE plans SET name = 'gone' WHERE id = 2");
        Assert.Equal(18, (await bed.SyncAsync()).Count);

        // Rows 1 and 2 come back, and 3 to 20 go, without a write to any of them: their xmin is older than the last read.
        await ExecuteAsync(bed.Db, "UPDATE plans SET name = 'pro' WHERE id = 2; UPDATE plans SET name = 'gone' WHERE id = 1");
        var changes = await bed.SyncAsync();

        Assert.Equal([("1", ChangeKinds.Added), ("2", ChangeKinds.Added)], changes.Where(c => c.Kind != ChangeKinds.Deleted).Select(c => (c.Key, c.Kind)));
        Assert.Equal(18, changes.Count(c => c.Kind == ChangeKinds.Deleted));
        Assert.Equal(2, bed.Fetched);
    }

    [Fact]
    public async Task A_rolled_back_change_is_not_a_change()
    {
        await using var bed = await Bed.StartAsync(nameof(A_rolled_back_change_is_not_a_change), "table");
        await bed.SyncAsync();

        await using (var connection = await bed.Db.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await using var update = new NpgsqlCommand("UPDATE users SET email = 'rolled@back' WHERE id = 4; INSERT INTO users VALUES (99, 'x', 1, true)", connection, transaction);
            await update.ExecuteNonQueryAsync();
            await transaction.RollbackAsync();
        }

        Assert.Empty(await bed.SyncAsync());
        Assert.Equal(0, bed.Fetched);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_transaction_in_flight_during_a_read_that_commits_after_it_is_found_by_the_next(bool inSavepoint)
    {
        await using var bed = await Bed.StartAsync(nameof(A_transaction_in_flight_during_a_read_that_commits_after_it_is_found_by_the_next) + inSavepoint, "table");
        await bed.SyncAsync();

        await using var connection = await bed.Db.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        // The transaction has its id before the read's snapshot; its write (in a savepoint: a subtransaction's id) is not visible to it.
        await using (var write = new NpgsqlCommand(
            inSavepoint
                ? "SELECT pg_current_xact_id(); SAVEPOINT s; UPDATE users SET email = 'late@example.com' WHERE id = 6; RELEASE SAVEPOINT s"
                : "UPDATE users SET email = 'late@example.com' WHERE id = 6", connection, transaction))
        {
            await write.ExecuteNonQueryAsync();
        }

        await ExecuteAsync(bed.Db, "UPDATE users SET email = 'other@example.com' WHERE id = 9"); // moves xmax past the open one
        Assert.Equal(["9"], (await bed.SyncAsync(settle: false)).Select(c => c.Key));
        await transaction.CommitAsync();

        var changes = await bed.SyncAsync();

        Assert.Equal([("6", ChangeKinds.Changed)], changes.Select(c => (c.Key, c.Kind)));
        Assert.Equal("late@example.com", changes[0].Values[0]);
    }

    [Fact]
    public async Task Changes_are_found_after_VACUUM_FULL_CLUSTER_and_FREEZE_move_or_freeze_rows_and_an_unchanged_table_stays_unchanged()
    {
        await using var bed = await Bed.StartAsync(nameof(Changes_are_found_after_VACUUM_FULL_CLUSTER_and_FREEZE_move_or_freeze_rows_and_an_unchanged_table_stays_unchanged), "table");
        await bed.SyncAsync();

        await ExecuteAsync(bed.Db, "UPDATE users SET email = 'a@example.com' WHERE id = 2");
        await ExecuteAsync(bed.Db, "VACUUM FULL users");
        Assert.Equal(["2"], (await bed.SyncAsync()).Select(c => c.Key));

        await ExecuteAsync(bed.Db, "UPDATE users SET email = 'b@example.com' WHERE id = 11");
        await ExecuteAsync(bed.Db, "CLUSTER users USING users_pkey");
        await ExecuteAsync(bed.Db, "VACUUM (FREEZE) users");
        Assert.Equal(["11"], (await bed.SyncAsync()).Select(c => c.Key));

        await ExecuteAsync(bed.Db, "VACUUM FULL users");
        Assert.Empty(await bed.SyncAsync());
        Assert.Equal(0, bed.Fetched);
    }

    [Fact]
    public async Task A_table_restored_from_a_dump_with_new_transaction_ids_is_read_again_and_only_real_changes_come_out()
    {
        await using var bed = await Bed.StartAsync(nameof(A_table_restored_from_a_dump_with_new_transaction_ids_is_read_again_and_only_real_changes_come_out), "table");
        await bed.SyncAsync();

        await ExecuteAsync(bed.Db, """
            CREATE TABLE dump AS SELECT * FROM users;
            UPDATE dump SET email = 'restored@example.com' WHERE id = 15;
            TRUNCATE users;
            INSERT INTO users SELECT * FROM dump;
            """);

        Assert.Equal(["15"], (await bed.SyncAsync()).Select(c => c.Key));
        Assert.Equal(20, bed.Fetched);
    }

    [Theory]
    [InlineData("another cluster")]
    [InlineData("transaction ids from another timeline")]
    public async Task A_snapshot_that_cannot_be_trusted_falls_back_to_reading_every_row(string why)
    {
        await using var bed = await Bed.StartAsync(nameof(A_snapshot_that_cannot_be_trusted_falls_back_to_reading_every_row) + why.Length, "table");
        await bed.SyncAsync();
        await ExecuteAsync(bed.Db, "UPDATE users SET email = 'changed@example.com' WHERE id = 10");

        // The stored snapshot as it could be after a restore into another cluster (taken after the UPDATE, in ids that
        // mean something else there), or with ids from the future: were it trusted, the changed row would count as read.
        var since = QueryPosition.SinceOf(bed.Checkpoint!, "test")!;
        var current = ulong.Parse((await ScalarAsync(bed.Db, "SELECT pg_snapshot_xmin(pg_current_snapshot())::text"))!.ToString()!, System.Globalization.CultureInfo.InvariantCulture);
        bed.Checkpoint = new QueryPosition("", why == "another cluster"
            ? new QuerySourceSnapshot(current, current, "0/0", since.Shape)
            : new QuerySourceSnapshot(since.Xmax + (1UL << 32), since.Xmax + (1UL << 32), since.Cluster, since.Shape)).ToCheckpoint();

        Assert.Equal(["10"], (await bed.SyncAsync()).Select(c => c.Key));
        Assert.Equal(20, bed.Fetched);
    }

    [Fact]
    public async Task A_query_joining_tables_is_read_whole_so_a_change_in_the_joined_table_is_found()
    {
        await using var bed = await Bed.StartAsync(nameof(A_query_joining_tables_is_read_whole_so_a_change_in_the_joined_table_is_found),
            "SELECT u.id, u.email, p.name AS plan_id FROM users u JOIN plans p ON p.id = u.plan_id");
        await ExecuteAsync(bed.Db, "UPDATE users SET plan_id = 2 WHERE id IN (1, 2)");
        await bed.SyncAsync();

        await ExecuteAsync(bed.Db, "UPDATE plans SET name = 'enterprise' WHERE id = 2");
        var changes = await bed.SyncAsync();

        Assert.Equal(["1", "2"], changes.Select(c => c.Key));
        Assert.Equal(20, bed.Fetched);
    }

    [Theory]
    [InlineData("SELECT id, email, plan_id FROM users", true)]
    [InlineData("SELECT * FROM public.users u WHERE u.active AND u.email <> current_user", true)]
    [InlineData("SELECT id, lower(email) AS email, plan_id FROM users", false)]
    [InlineData("SELECT id, email, (SELECT name FROM plans WHERE plans.id = users.plan_id) AS plan_id FROM users", false)]
    [InlineData("SELECT id, email, plan_id FROM users LIMIT 100", false)]
    [InlineData("SELECT DISTINCT id, email, plan_id FROM users", false)]
    [InlineData("SELECT id, email, plan_id FROM users ORDER BY email", false)]
    [InlineData("SELECT id, email, plan_id FROM active_users", false)]
    [InlineData("SELECT u.id, u.email, u.plan_id FROM users u, plans p WHERE p.id = u.plan_id", false)]
    public async Task A_query_is_table_shaped_only_when_its_rows_and_values_are_one_tables_own(string query, bool tableShaped)
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_query_is_table_shaped_only_when_its_rows_and_values_are_one_tables_own) + query.Length);
        await ExecuteAsync(db, Users + "CREATE VIEW active_users AS SELECT * FROM users WHERE active;");
        await using var connection = await db.OpenConnectionAsync();

        Assert.Equal(tableShaped, await QuerySourceShape.OfQueryAsync(connection, query, default) is not null);
    }

    [Fact]
    public void A_snapshot_widens_xmin_across_the_32_bit_boundary_and_a_frozen_rows_old_xmin_never_looks_newer_than_a_change()
    {
        // Epoch 1: xids 2^32 + 10 .. are the current ones; a row written at 2^32 - 5 (epoch 0) is older.
        var now = new QuerySourceSnapshot((1UL << 32) + 10, (1UL << 32) + 20, "c", "s");
        Assert.Equal((1UL << 32) + 15, now.Widen(15));
        Assert.Equal((1UL << 32) - 5, now.Widen(unchecked((uint)-5)));
        var last = new QuerySourceSnapshot((1UL << 32) + 12, (1UL << 32) + 14, "c", "s");
        Assert.True(now.CanVouchSince(last));
        Assert.True(now.WrittenBefore(11, last));
        Assert.False(now.WrittenBefore(12, last)); // in flight at the last read (or a subtransaction of one)
        Assert.False(now.WrittenBefore(19, last));
        Assert.False(now.CanVouchSince(new QuerySourceSnapshot(last.Xmin, last.Xmax, "other", "s")));
        Assert.False(now.CanVouchSince(new QuerySourceSnapshot(last.Xmin, last.Xmax, "c", "other shape")));
        Assert.False(now.CanVouchSince(new QuerySourceSnapshot(10, 12, "c", "s"))); // 2^32 transactions since: 15 and 2^32 + 15 look alike
    }

    /// <summary>One sync's source, ledger and checkpoint, committed after each read as the engine would once every batch is acknowledged.</summary>
    private sealed class Bed : IAsyncDisposable
    {
        private readonly ISyncLease _lease;
        private readonly QuerySource _source;
        private long _fetchedBefore;

        private Bed(NpgsqlDataSource db, ISyncLease lease, QuerySource source)
        {
            Db = db;
            _lease = lease;
            _source = source;
        }

        public NpgsqlDataSource Db { get; }

        public Checkpoint? Checkpoint { get; set; }

        /// <summary>Whole rows the last read fetched.</summary>
        public long Fetched { get; private set; }

        public static async Task<Bed> StartAsync(string name, string query)
        {
            var db = await TestPostgres.CreateDataSourceAsync(name.Replace(' ', '_'));
            await ExecuteAsync(db, Users);
            var store = await PostgresStateStore.OpenAsync(db);
            var lease = (await store.TryAcquireAsync("s", default))!;
            var options = query == "table"
                ? new QuerySourceOptions { Table = "users", Filter = "active" }
                : QuerySourceOptions.Bind(ConfigSection.Parse($"syncs:\n  s:\n    source:\n      query: {JsonSerializer.Serialize(query)}\n      key: [id]\n")
                    .GetSection("syncs")!.GetSection("s")!.GetSection("source")!);
            return new Bed(db, lease, new QuerySource(db, new PostgresConnectionOptions { Name = "app", Database = "test" }, options));
        }

        /// <summary>
        /// Reads from the checkpoint, commits what it found with the read's last position, and returns the records. First,
        /// unless <paramref name="settle"/> is false, waits until every transaction older than the test's last write has
        /// ended: tests of other classes share the cluster, and one of theirs still running holds the read's snapshot
        /// <c>xmin</c> back, so the next read would fetch more rows than were written since (never fewer).
        /// </summary>
        public async Task<List<Change>> SyncAsync(bool settle = true)
        {
            if (settle)
            {
                var written = Xid(await ScalarAsync(Db, "SELECT pg_current_xact_id()::text"));
                await Eventually.HoldsAsync(async () => Xid(await ScalarAsync(Db, "SELECT pg_snapshot_xmin(pg_current_snapshot())::text")) > written,
                    "every transaction older than the test's writes has ended");
            }

            var request = new ReadRequest(["email", "plan_id"], Checkpoint) { RecordStates = _lease.RecordStates };
            var changes = new List<Change>();
            await foreach (var change in ChangeDiffer.ReadAsync(_source, request, default))
            {
                changes.Add(change);
            }

            Fetched = _source.RowsRead - _fetchedBefore;
            _fetchedBefore = _source.RowsRead;
            await _lease.LoadCheckpointAsync(default);
            var run = await _lease.StartRunAsync(RunKind.Incremental, default);
            var records = changes.Where(c => !c.IsProgress).ToList();
            Checkpoint = changes.Count == 0 ? Checkpoint : changes[^1].Position.ToCheckpoint();
            await _lease.CommitBatchAsync(new BatchCommit(run, 0, [], [], Checkpoint!, records.Count)
            {
                RecordStates = records.Select(c => c.Operation == ChangeOperation.Delete ? RecordState.Forget(c.Key) : new RecordState(c.Key, c.Fingerprint)).ToList(),
            }, default);
            return records;
        }

        private static ulong Xid(object? text) => ulong.Parse((string)text!, System.Globalization.CultureInfo.InvariantCulture);

        public async ValueTask DisposeAsync()
        {
            await _lease.DisposeAsync();
            await Db.DisposeAsync();
        }
    }
}
