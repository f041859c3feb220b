using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Errors;
using Sluice.Core.Records;
using Sluice.Postgres.Sources;
using Sluice.Testing;

namespace Sluice.Postgres.Tests.Sources;

/// <summary>A backfill's range on a table source: which rows it reads, what it stores, when it may resume.</summary>
public sealed class TableSourceRangeTests
{
    [Fact]
    public async Task A_date_range_reads_from_included_to_excluded_across_pages()
    {
        await using var db = await Items(nameof(A_date_range_reads_from_included_to_excluded_across_pages));
        var source = await Ranged(db, new SourceRange(false, "2024-01-11", "2024-01-21"), pageSize: 7);

        var read = await ReadAll(source, new ReadRequest(["id"], null));

        // Row i is on day i % 100: days 10..19 from the 1st of January are 2024-01-11 .. 2024-01-20.
        var expected = Enumerable.Range(1, 1000).Where(i => i % 100 is >= 10 and < 20).Select(i => i.ToString()).Order();
        Assert.Equal(expected, read.Select(c => c.Key).Order());
        Assert.Equal(read.Count, await source.EstimateAsync(new ReadRequest(["id"], null), default));
    }

    [Fact]
    public async Task A_key_range_reads_the_ids_in_it()
    {
        await using var db = await Items(nameof(A_key_range_reads_the_ids_in_it));
        var source = await Ranged(db, new SourceRange(true, "100", "150"), pageSize: 9);

        var read = await ReadAll(source, new ReadRequest(["id"], null));

        Assert.Equal(Enumerable.Range(100, 50).Select(i => i.ToString()).Order(), read.Select(c => c.Key).Order());
    }

    [Fact]
    public async Task Bounds_are_parsed_by_postgresql_and_stored_in_its_own_form()
    {
        await using var db = await Items(nameof(Bounds_are_parsed_by_postgresql_and_stored_in_its_own_form));
        var table = Source(db);
        var range = await table.CheckRangeAsync(new SourceRange(false, "2024-01-11", null), default);
        Assert.Equal("2024-01-11 00:00:00+00", range.From);
        Assert.Null(range.To);
        Assert.Equal("updated_at", range.Column);

        var first = (await ReadAll(table.WithRange(range), new ReadRequest(["id"], null)))[0];
        var stored = table.RangeOf(first.Position.ToCheckpoint());
        Assert.NotNull(stored);
        Assert.True(stored.Value.Range.SameBounds(range));
    }

    [Fact]
    public async Task A_bound_that_is_not_a_value_of_the_column_type_is_a_config_error_naming_the_type()
    {
        await using var db = await Items(nameof(A_bound_that_is_not_a_value_of_the_column_type_is_a_config_error_naming_the_type));
        var error = await Assert.ThrowsAsync<SluiceException>(() => Source(db).CheckRangeAsync(new SourceRange(false, "2024-13-45", null), default));
        Assert.Equal(ErrorClass.Config, error.Class);
        Assert.Contains("from '2024-13-45' is not a valid timestamp with time zone", error.Message, StringComparison.Ordinal);
        Assert.Contains("cursor column 'updated_at'", error.Message, StringComparison.Ordinal);

        var byKey = await Assert.ThrowsAsync<SluiceException>(() => Source(db).CheckRangeAsync(new SourceRange(true, null, "ten"), default));
        Assert.Contains("to 'ten' is not a valid bigint", byKey.Message, StringComparison.Ordinal);

        var empty = await Assert.ThrowsAsync<SluiceException>(() => Source(db).CheckRangeAsync(new SourceRange(true, "10", "10"), default));
        Assert.Contains("the range is empty", empty.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_resumed_range_continues_after_its_checkpoint_and_a_new_one_starts_at_its_start()
    {
        await using var db = await Items(nameof(A_resumed_range_continues_after_its_checkpoint_and_a_new_one_starts_at_its_start));
        var range = await Source(db).CheckRangeAsync(new SourceRange(false, "2024-01-11", "2024-01-21"), default);
        var all = await ReadAll(Source(db, pageSize: 7).WithRange(range), new ReadRequest(["id"], null));
        var checkpoint = all[42].Position.ToCheckpoint();

        var resumed = await ReadAll(Source(db, pageSize: 7).WithRange(range with { Resume = true }), new ReadRequest(["id"], checkpoint));
        Assert.Equal(all.Skip(43).Select(c => c.Key), resumed.Select(c => c.Key));

        var restarted = await ReadAll(Source(db, pageSize: 7).WithRange(range), new ReadRequest(["id"], checkpoint));
        Assert.Equal(all.Select(c => c.Key), restarted.Select(c => c.Key));
    }

    [Fact]
    public async Task Resuming_a_checkpoint_of_another_range_is_refused()
    {
        await using var db = await Items(nameof(Resuming_a_checkpoint_of_another_range_is_refused));
        var range = await Source(db).CheckRangeAsync(new SourceRange(false, "2024-01-11", "2024-01-21"), default);
        var checkpoint = (await ReadAll(Source(db).WithRange(range), new ReadRequest(["id"], null)))[5].Position.ToCheckpoint();
        var other = await Source(db).CheckRangeAsync(new SourceRange(false, "2024-01-11", "2024-01-31"), default);

        var error = await Assert.ThrowsAsync<SluiceException>(() => ReadAll(Source(db).WithRange(other with { Resume = true }), new ReadRequest(["id"], checkpoint)));
        Assert.Equal(ErrorClass.Config, error.Class);
        Assert.Contains("covers updated_at from 2024-01-11 00:00:00+00 to 2024-01-21 00:00:00+00 (excluded)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sync_checkpoint_is_written_as_before_without_a_range()
    {
        await using var db = await Items(nameof(A_sync_checkpoint_is_written_as_before_without_a_range));
        var change = (await ReadAll(Source(db), new ReadRequest(["id"], null)))[0];
        // Byte for byte what a table source always stored (System.Text.Json escapes '+'): no "range" field.
        Assert.Equal("{\"cursor\":\"2024-01-01 00:00:00.000000\\u002B00\",\"key\":[\"100\"]}", change.Position.ToCheckpoint().Value);
        Assert.Null(Source(db).RangeOf(change.Position.ToCheckpoint()));
    }

    [Fact]
    public async Task A_range_by_key_needs_a_single_column_key()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_range_by_key_needs_a_single_column_key));
        await Execute(db, "CREATE TABLE memberships (org text, member bigint, updated_at timestamptz NOT NULL, PRIMARY KEY (org, member))");
        var source = new TableSource(db, Connection(), new TableSourceOptions { Table = "memberships", Cursor = "updated_at" });
        var error = await Assert.ThrowsAsync<SluiceException>(() => source.CheckRangeAsync(new SourceRange(true, "1", "2"), default));
        Assert.Contains("the key has 2 columns (org, member)", error.Message, StringComparison.Ordinal);
    }

    /// <summary>1,000 rows; row i is updated on day i % 100 of 2024 (so days repeat, and ties cross pages).</summary>
    private static async Task<NpgsqlDataSource> Items(string name)
    {
        var db = await TestPostgres.CreateDataSourceAsync(name);
        await Execute(db, """
            SET TIME ZONE 'UTC';
            CREATE TABLE items (id bigint PRIMARY KEY, updated_at timestamptz NOT NULL);
            INSERT INTO items SELECT i, '2024-01-01 00:00:00+00'::timestamptz + (i % 100) * interval '1 day' FROM generate_series(1, 1000) i;
            """);
        return db;
    }

    private static async Task<TableSource> Ranged(NpgsqlDataSource db, SourceRange range, int pageSize = 10_000)
    {
        var source = Source(db, pageSize);
        return source.WithRange(await source.CheckRangeAsync(range, default));
    }

    private static PostgresConnectionOptions Connection() => new() { Name = "app", Database = "test" };

    private static TableSource Source(NpgsqlDataSource db, int pageSize = 10_000) =>
        new(db, Connection(), new TableSourceOptions { Table = "items", Cursor = "updated_at", PageSize = pageSize });

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
