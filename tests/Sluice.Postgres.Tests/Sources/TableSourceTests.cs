using Npgsql;
using Sluice.Core.Checkpoints;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Records;
using Sluice.Postgres.Sources;
using Sluice.Testing;

namespace Sluice.Postgres.Tests.Sources;

public sealed class TableSourceTests
{
    [Fact]
    public async Task Rows_sharing_a_cursor_value_are_neither_skipped_nor_repeated_across_pages_and_resumes()
    {
        await using var db = await Database(nameof(Rows_sharing_a_cursor_value_are_neither_skipped_nor_repeated_across_pages_and_resumes));
        // 100 rows on only 5 distinct timestamps: every page boundary (7 rows) falls inside a tie.
        await Execute(db, """
            CREATE TABLE items (id bigint PRIMARY KEY, updated_at timestamptz NOT NULL, name text);
            INSERT INTO items SELECT i, '2024-01-01'::timestamptz + ((i % 5) * interval '1 hour'), 'item ' || i FROM generate_series(1, 100) i;
            """);
        var source = Source(db, pageSize: 7);
        var request = new ReadRequest(["id", "name"], null);

        var all = await ReadAll(source, request);
        Assert.Equal(Enumerable.Range(1, 100).Select(i => i.ToString()).Order(), all.Select(c => c.Key).Order());
        Assert.Equal(100, all.Select(c => c.Key).Distinct().Count());

        // Resume from the position after the 33rd change: exactly the other 67 follow.
        var resumeAt = all[32].Position.ToCheckpoint();
        var rest = await ReadAll(source, request with { From = resumeAt });
        Assert.Equal(all.Skip(33).Select(c => c.Key), rest.Select(c => c.Key));
    }

    [Fact]
    public async Task A_checkpoint_survives_serialisation_exactly()
    {
        await using var db = await Database(nameof(A_checkpoint_survives_serialisation_exactly));
        await Execute(db, """
            CREATE TABLE items (id bigint PRIMARY KEY, updated_at timestamptz NOT NULL);
            INSERT INTO items VALUES (1, '2024-01-01 00:00:00.000001+00'), (2, '2024-01-01 00:00:00.000002+00'), (3, '2024-01-01 00:00:00.000002+00');
            """);
        var source = Source(db);
        var first = (await ReadAll(source, new ReadRequest(["id"], null)))[1];
        var stored = first.Position.ToCheckpoint();
        var reloaded = new Checkpoint(stored.Format, stored.Version, stored.Value);
        var rest = await ReadAll(source, new ReadRequest(["id"], reloaded));
        Assert.Equal(["3"], rest.Select(c => c.Key));
    }

    [Fact]
    public async Task Rows_updated_during_a_run_are_sent_in_their_new_version_by_the_next_run()
    {
        await using var db = await Database(nameof(Rows_updated_during_a_run_are_sent_in_their_new_version_by_the_next_run));
        await Execute(db, """
            CREATE TABLE items (id bigint PRIMARY KEY, updated_at timestamptz NOT NULL, name text);
            INSERT INTO items SELECT i, '2024-01-01'::timestamptz + i * interval '1 second', 'v1' FROM generate_series(1, 50) i;
            """);
        var source = Source(db, pageSize: 10);
        var request = new ReadRequest(["id", "name"], null);

        var firstRun = new List<Change>();
        await foreach (var change in source.ReadAsync(request, default))
        {
            firstRun.Add(change);
            if (firstRun.Count == 15)
            {
                // The application updates a row already sent and one not read yet.
                await Execute(db, "UPDATE items SET name = 'v2', updated_at = now() WHERE id IN (3, 40)");
            }
        }

        Assert.DoesNotContain(firstRun, c => c.Key == "40"); // moved past this run's horizon…
        var secondRun = await ReadAll(source, request with { From = firstRun[^1].Position.ToCheckpoint() });
        Assert.Equal(["3", "40"], secondRun.Select(c => c.Key).Order());       // …so the next run has it
        Assert.All(secondRun, c => Assert.Equal("v2", c.Values[1]));
        Assert.Equal(50, firstRun.Concat(secondRun).Select(c => c.Key).Distinct().Count());
    }

    [Fact]
    public async Task A_composite_key_and_an_integer_cursor_page_correctly()
    {
        await using var db = await Database(nameof(A_composite_key_and_an_integer_cursor_page_correctly));
        await Execute(db, """
            CREATE TABLE memberships (org text, member int, version bigint NOT NULL, PRIMARY KEY (org, member));
            INSERT INTO memberships SELECT 'org-' || (i % 3), i, i % 4 FROM generate_series(1, 40) i;
            """);
        var source = new TableSource(db, Connection(), new TableSourceOptions { Table = "memberships", Cursor = "version", PageSize = 6 });
        var all = await ReadAll(source, new ReadRequest(["member"], null));
        Assert.Equal(40, all.Select(c => c.Key).Distinct().Count());
        Assert.StartsWith("[\"org-", all[0].Key, StringComparison.Ordinal);
        var rest = await ReadAll(source, new ReadRequest(["member"], all[19].Position.ToCheckpoint()));
        Assert.Equal(all.Skip(20).Select(c => c.Key), rest.Select(c => c.Key));
    }

    [Fact]
    public async Task A_filter_limits_rows_and_rows_without_a_cursor_value_are_left_out()
    {
        await using var db = await Database(nameof(A_filter_limits_rows_and_rows_without_a_cursor_value_are_left_out));
        await Execute(db, """
            CREATE TABLE users (id bigint PRIMARY KEY, updated_at timestamptz, deleted_at timestamptz);
            INSERT INTO users VALUES (1, now(), NULL), (2, now(), now()), (3, NULL, NULL), (4, now(), NULL);
            """);
        var source = new TableSource(db, Connection(), new TableSourceOptions { Table = "public.users", Cursor = "updated_at", Filter = "deleted_at IS NULL" });
        var request = new ReadRequest(["id"], null);
        Assert.Equal(["1", "4"], (await ReadAll(source, request)).Select(c => c.Key).Order());
        Assert.Equal(2L, await source.EstimateAsync(request, default));
    }

    [Fact]
    public async Task Values_keep_their_types()
    {
        await using var db = await Database(nameof(Values_keep_their_types));
        await Execute(db, """
            CREATE TYPE plan AS ENUM ('free', 'pro');
            CREATE TABLE users (id bigint PRIMARY KEY, updated_at timestamptz NOT NULL, plan plan, ltv numeric(12,2), attrs jsonb, tags text[], active boolean);
            INSERT INTO users VALUES (1, '2024-05-06 07:08:09.123+00', 'pro', 12.50, '{"a": 1}', '{x,y}', true);
            """);
        var source = Source(db, table: "users");
        var change = Assert.Single(await ReadAll(source, new ReadRequest(["plan", "ltv", "attrs", "tags", "active", "updated_at"], null)));
        Assert.Equal("pro", change.Values[0]);
        Assert.Equal(12.50m, change.Values[1]);
        Assert.Equal("{\"a\": 1}", change.Values[2]);
        Assert.Equal(new[] { "x", "y" }, change.Values[3]);
        Assert.Equal(true, change.Values[4]);
        Assert.Equal(new DateTime(2024, 5, 6, 7, 8, 9, 123, DateTimeKind.Utc), change.Values[5]);
        var schema = await source.DiscoverAsync(default);
        Assert.Equal(ColumnType.Text, schema.Find("plan")!.Type);
        Assert.Equal(ColumnType.Json, schema.Find("attrs")!.Type);
    }

    [Fact]
    public async Task A_misspelt_table_or_cursor_is_a_config_error_with_a_suggestion()
    {
        await using var db = await Database(nameof(A_misspelt_table_or_cursor_is_a_config_error_with_a_suggestion));
        await Execute(db, "CREATE TABLE users (id bigint PRIMARY KEY, updated_at timestamptz NOT NULL)");

        var table = await Assert.ThrowsAsync<ConfigException>(() => Source(db, table: "public.userz").DiscoverAsync(default));
        Assert.Contains("public.userz does not exist", table.Message, StringComparison.Ordinal);
        Assert.Contains("did you mean 'public.users'?", table.Message, StringComparison.Ordinal);

        var cursor = await Assert.ThrowsAsync<ConfigException>(() =>
            new TableSource(db, Connection(), new TableSourceOptions { Table = "users", Cursor = "updatedat" }).DiscoverAsync(default));
        Assert.Contains("column 'updatedat' does not exist in public.users", cursor.Message, StringComparison.Ordinal);
        Assert.Contains("did you mean 'updated_at'?", cursor.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_table_without_a_primary_key_needs_a_key()
    {
        await using var db = await Database(nameof(A_table_without_a_primary_key_needs_a_key));
        await Execute(db, "CREATE TABLE events (id bigint, updated_at timestamptz NOT NULL)");
        var error = await Assert.ThrowsAsync<ConfigException>(() => Source(db, table: "events").DiscoverAsync(default));
        Assert.Contains("key: [id]", error.Message, StringComparison.Ordinal);
    }

    private static async Task<NpgsqlDataSource> Database(string name) => await TestPostgres.CreateDataSourceAsync(name);

    private static PostgresConnectionOptions Connection() => new() { Name = "app", Database = "test" };

    private static TableSource Source(NpgsqlDataSource db, int pageSize = 10_000, string table = "items") =>
        new(db, Connection(), new TableSourceOptions { Table = table, Cursor = "updated_at", PageSize = pageSize });

    private static async Task<List<Change>> ReadAll(TableSource source, ReadRequest request)
    {
        var changes = new List<Change>();
        await foreach (var change in source.ReadAsync(request, default))
        {
            changes.Add(change);
        }

        return changes;
    }

    private static async Task Execute(NpgsqlDataSource db, string sql)
    {
        await using var command = db.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }
}
