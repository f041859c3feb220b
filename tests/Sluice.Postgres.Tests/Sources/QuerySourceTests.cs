using Npgsql;
using Sluice.Core.Checkpoints;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Engine.Diffing;
using Sluice.Core.Errors;
using Sluice.Core.Records;
using Sluice.Core.State;
using Sluice.Postgres.Sources;
using Sluice.State;
using Sluice.Testing;
using static Sluice.Postgres.Tests.TestSql;

namespace Sluice.Postgres.Tests.Sources;

public sealed class QuerySourceTests
{
    private const string Users = """
        CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, plan text NOT NULL, active boolean NOT NULL DEFAULT true);
        INSERT INTO users SELECT i, 'user' || i || '@example.com', 'free', true FROM generate_series(1, 20) i;
        """;

    [Fact]
    public async Task A_query_that_is_not_valid_SQL_is_a_config_error_at_check_with_the_databases_message()
    {
        await using var db = await Database(nameof(A_query_that_is_not_valid_SQL_is_a_config_error_at_check_with_the_databases_message));
        await ExecuteAsync(db, Users);
        var source = Source(db, "SELECT id, emial FROM users", ["id"]);

        var error = await Assert.ThrowsAsync<ConfigException>(() => source.CheckAsync(default));

        Assert.Contains("column \"emial\" does not exist", error.Message, StringComparison.Ordinal);
        Assert.Equal("syncs.s.source.query", error.Location?.KeyPath);
    }

    [Fact]
    public async Task A_key_the_query_does_not_return_is_a_config_error_with_a_suggestion()
    {
        await using var db = await Database(nameof(A_key_the_query_does_not_return_is_a_config_error_with_a_suggestion));
        await ExecuteAsync(db, Users);

        var error = await Assert.ThrowsAsync<ConfigException>(() => Source(db, "SELECT id AS user_id, email FROM users;", ["userid"]).DiscoverAsync(default));

        Assert.Contains("did you mean 'user_id'?", error.Message, StringComparison.Ordinal);
        Assert.Equal("syncs.s.source.key", error.Location?.KeyPath);
    }

    [Fact]
    public async Task The_query_source_needs_a_key_and_rejects_a_cursor()
    {
        var noKey = Assert.Throws<ConfigException>(() => QuerySourceOptions.Bind(Section("query: SELECT 1 AS id")));
        Assert.Contains("needs 'key:'", noKey.Message, StringComparison.Ordinal);
        var cursor = Assert.Throws<ConfigException>(() => QuerySourceOptions.Bind(Section("query: SELECT 1 AS id\nkey: [id]\ncursor: id")));
        Assert.Contains("not read by a cursor", cursor.Message, StringComparison.Ordinal);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Discovery_reports_the_querys_columns_and_types()
    {
        await using var db = await Database(nameof(Discovery_reports_the_querys_columns_and_types));
        await ExecuteAsync(db, Users);

        var schema = await Source(db, "SELECT id, email, active, now() AS seen FROM users", ["id"]).DiscoverAsync(default);

        Assert.Equal(["id", "email", "active", "seen"], schema.Columns.Select(c => c.Name));
        Assert.Equal([ColumnType.Integer, ColumnType.Text, ColumnType.Boolean, ColumnType.TimestampWithTimeZone], schema.Columns.Select(c => c.Type));
        Assert.Equal(["id"], schema.KeyColumns);
    }

    [Fact]
    public async Task The_diff_yields_added_changed_and_deleted_records_once_fingerprints_are_committed()
    {
        await using var db = await Database(nameof(The_diff_yields_added_changed_and_deleted_records_once_fingerprints_are_committed));
        await ExecuteAsync(db, Users);
        var store = await PostgresStateStore.OpenAsync(db);
        await using var lease = (await store.TryAcquireAsync("s", default))!;
        var source = Source(db, "SELECT id, email, plan FROM users WHERE active", ["id"]);
        var request = new ReadRequest(["email", "plan"], null) { RecordStates = lease.RecordStates };

        var first = await ReadAll(source, request);
        Assert.Equal(20, first.Count);
        Assert.All(first, c => Assert.Equal((ChangeKinds.Added, 16), (c.Kind, c.Fingerprint!.Length)));
        var checkpoint = await CommitAsync(lease, first);

        await ExecuteAsync(db, """
            UPDATE users SET plan = 'pro' WHERE id IN (3, 12);
            UPDATE users SET active = false WHERE id = 7;
            DELETE FROM users WHERE id = 20;
            INSERT INTO users VALUES (21, 'user21@example.com', 'free', true);
            UPDATE users SET email = email WHERE id = 5; -- touched, not changed
            """);
        var second = await ReadAll(source, request with { From = checkpoint });

        Assert.Equal([("12", ChangeKinds.Changed), ("20", ChangeKinds.Deleted), ("21", ChangeKinds.Added), ("3", ChangeKinds.Changed), ("7", ChangeKinds.Deleted)],
            second.Select(c => (c.Key, c.Kind)));
        Assert.Equal(["pro", "pro"], second.Where(c => c.Kind == ChangeKinds.Changed).Select(c => (string)c.Values[1]!));
        Assert.All(second.Where(c => c.Kind == ChangeKinds.Deleted), c => Assert.Equal((ChangeOperation.Delete, null, 2), (c.Operation, c.Fingerprint, c.Values.Length)));

        await CommitAsync(lease, second);
        Assert.Empty(await ReadAll(source, request with { From = checkpoint }));
        Assert.Equal(19L, await ScalarAsync(db, "SELECT count(*) FROM sluice.record_state"));
    }

    [Fact]
    public async Task A_full_read_counts_every_record_as_added_and_a_mapping_change_counts_as_a_change()
    {
        await using var db = await Database(nameof(A_full_read_counts_every_record_as_added_and_a_mapping_change_counts_as_a_change));
        await ExecuteAsync(db, Users);
        var store = await PostgresStateStore.OpenAsync(db);
        await using var lease = (await store.TryAcquireAsync("s", default))!;
        var source = Source(db, "SELECT id, email, plan FROM users", ["id"]);
        var request = new ReadRequest(["email"], null) { RecordStates = lease.RecordStates };
        var checkpoint = await CommitAsync(lease, await ReadAll(source, request));

        var full = await ReadAll(source, request);
        Assert.Equal(20, full.Count(c => c.Kind == ChangeKinds.Added));

        var wider = await ReadAll(source, request with { Columns = ["plan", "email"], From = checkpoint });
        Assert.Equal(20, wider.Count(c => c.Kind == ChangeKinds.Changed));
        Assert.Empty(await ReadAll(source, request with { From = checkpoint }));
    }

    [Fact]
    public async Task A_composite_key_and_a_table_without_cursor_are_diffed_too()
    {
        await using var db = await Database(nameof(A_composite_key_and_a_table_without_cursor_are_diffed_too));
        await ExecuteAsync(db, """
            CREATE TABLE memberships (org text, member bigint, role text, PRIMARY KEY (org, member));
            INSERT INTO memberships VALUES ('acme', 1, 'admin'), ('acme', 2, 'user'), ('b"x', 1, 'user');
            """);
        var source = new QuerySource(db, Connection(), new QuerySourceOptions { Table = "memberships" });

        var changes = await ReadAll(source, new ReadRequest(["role"], null));

        Assert.Equal(["[\"acme\",\"1\"]", "[\"acme\",\"2\"]", "[\"b\\\"x\",\"1\"]"], changes.Select(c => c.Key));
        Assert.Equal(["org", "member"], (await source.DiscoverAsync(default)).KeyColumns);
    }

    [Fact]
    public async Task A_key_that_comes_back_twice_stops_the_read_with_a_plain_message()
    {
        await using var db = await Database(nameof(A_key_that_comes_back_twice_stops_the_read_with_a_plain_message));
        await ExecuteAsync(db, Users);
        var source = Source(db, "SELECT u.plan, u.email FROM users u", ["plan"]);

        var error = await Assert.ThrowsAsync<SluiceException>(() => ReadAll(source, new ReadRequest(["email"], null)));

        Assert.Contains("key 'free' comes back more than once", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Record_key_order_is_the_order_of_PostgreSQLs_C_collation()
    {
        await using var db = await Database(nameof(Record_key_order_is_the_order_of_PostgreSQLs_C_collation));
        string[] keys = ["a", "B", "b", "ä", "10", "9", "\uE000x", "\U0001F600", "\uFFFD", "z\u00e9", "Z", " ", "~", "aa", "a b", "\u00ff", "\u0100"];
        await ExecuteAsync(db, "CREATE TABLE k (key text)");
        await using (var insert = db.CreateCommand("INSERT INTO k SELECT unnest($1::text[])"))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = keys });
            await insert.ExecuteNonQueryAsync();
        }

        var sorted = new List<string>();
        await using (var select = db.CreateCommand("SELECT key FROM k ORDER BY key COLLATE \"C\""))
        await using (var reader = await select.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                sorted.Add(reader.GetString(0));
            }
        }

        Assert.Equal(sorted, keys.Order(RecordKeyOrder.Instance));
    }

    [Fact]
    public async Task Fingerprints_move_only_with_a_commit_that_succeeds()
    {
        await using var db = await Database(nameof(Fingerprints_move_only_with_a_commit_that_succeeds));
        var store = await PostgresStateStore.OpenAsync(db);
        await using var lease = (await store.TryAcquireAsync("s", default))!;
        await lease.LoadCheckpointAsync(default);
        var run = await lease.StartRunAsync(RunKind.Incremental, default);
        await lease.CommitBatchAsync(new BatchCommit(run, 0, [], [], new Checkpoint("pg-diff", 1, "{}"), 2)
        {
            RecordStates = [new RecordState("b", [1]), new RecordState("a", [2])],
        }, default);
        await ScalarAsync(db, "UPDATE sluice.checkpoints SET generation = generation + 1");

        await Assert.ThrowsAsync<CheckpointConflictException>(() => lease.CommitBatchAsync(new BatchCommit(run, 1, [], [], new Checkpoint("pg-diff", 1, "{}"), 2)
        {
            RecordStates = [new RecordState("a", null), new RecordState("c", [3])],
        }, default));

        var stored = new List<RecordState>();
        await foreach (var state in lease.RecordStates.ReadAsync(default))
        {
            stored.Add(state);
        }

        Assert.Equal([("a", (byte)2), ("b", (byte)1)], stored.Select(s => (s.Key, s.Fingerprint![0])));
    }

    private static async Task<Checkpoint> CommitAsync(ISyncLease lease, List<Change> changes)
    {
        await lease.LoadCheckpointAsync(default);
        var run = await lease.StartRunAsync(RunKind.Incremental, default);
        var checkpoint = changes[^1].Position.ToCheckpoint();
        await lease.CommitBatchAsync(new BatchCommit(run, 0, [], [], checkpoint, changes.Count)
        {
            RecordStates = changes.Select(c => new RecordState(c.Key, c.Fingerprint)).ToList(),
        }, default);
        return checkpoint;
    }

    private static ConfigSection Section(string yaml) =>
        ConfigSection.Parse($"syncs:\n  s:\n    source:\n{string.Join('\n', yaml.Split('\n').Select(l => "      " + l))}\n").GetSection("syncs")!.GetSection("s")!.GetSection("source")!;

    private static QuerySource Source(NpgsqlDataSource db, string query, IReadOnlyList<string> key)
    {
        var section = Section($"query: \"{query}\"\nkey: [{string.Join(", ", key)}]");
        return new QuerySource(db, Connection(), QuerySourceOptions.Bind(section));
    }

    private static async Task<NpgsqlDataSource> Database(string name) => await TestPostgres.CreateDataSourceAsync(name);

    private static PostgresConnectionOptions Connection() => new() { Name = "app", Database = "test" };

    private static async Task<List<Change>> ReadAll(QuerySource source, ReadRequest request)
    {
        var changes = new List<Change>();
        // The source reads rows; the engine's differ finds what changed.
        await foreach (var change in ChangeDiffer.ReadAsync(source, request, default))
        {
            // A table-shaped source's read ends with its position (the snapshot it read); these tests look at records.
            if (!change.IsProgress)
            {
                changes.Add(change);
            }
        }

        return changes;
    }
}
