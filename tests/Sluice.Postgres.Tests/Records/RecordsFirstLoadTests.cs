using Sluice.Postgres.Destinations.Records;
using Sluice.Testing;

namespace Sluice.Postgres.Tests.Records;

/// <summary>
/// A first load into an empty table goes by COPY straight into the table and its groups table; a table that holds
/// rows, a batch with a key already there, a later write that updates, a groups table that could hold memberships of
/// a record without a row: the merge, with the same result as ever. Each test also reads which statements wrote the
/// table, from a statement trigger that records <c>current_query()</c>.
/// </summary>
public sealed class RecordsFirstLoadTests : IAsyncLifetime
{
    private static readonly Dictionary<string, string> Groups = new() { ["big"] = "lifetime_value > 100", ["pro"] = "plan = 'pro'" };

    private RecordsBed _bed = null!;

    public async Task InitializeAsync()
    {
        _bed = new RecordsBed(await TestPostgres.CreateDataSourceAsync(nameof(RecordsFirstLoadTests)));
        await _bed.CreateTablesAsync();
        await TestSql.ExecuteAsync(_bed.Db, $"""
            CREATE TABLE writes (id bigserial PRIMARY KEY, statement text NOT NULL);
            CREATE FUNCTION note_write() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN INSERT INTO writes (statement) VALUES (split_part(ltrim(current_query()), ' ', 1)); RETURN NULL; END $$;
            CREATE TRIGGER note_write AFTER INSERT ON {_bed.Table} FOR EACH STATEMENT EXECUTE FUNCTION note_write();
            """);
    }

    public async Task DisposeAsync() => await _bed.Db.DisposeAsync();

    [Fact]
    public async Task A_first_load_into_an_empty_table_is_copied_and_the_next_write_merges()
    {
        await using var destination = _bed.Destination(RecordsMode.Sync, Groups);

        var first = await _bed.WriteAsync(destination, _bed.Upsert(1, "a@x", 500m, "pro"), _bed.Upsert(2, "b@x", 5m, "free"), _bed.Upsert(3, "c@x", null, null));

        Assert.Equal(["1", "2", "3"], first.Select(r => r.DestinationId));
        Assert.Equal(1, destination.DirectBatches);
        Assert.Equal(["COPY"], await WritesAsync());
        Assert.Equal(["(1,a@x,500,pro)", "(2,b@x,5,free)", "(3,c@x,,)"], await _bed.RowsAsync());
        Assert.Equal(["(1,big)", "(1,pro)"], await _bed.GroupsAsync());

        // Record 1 leaves both groups, 2 joins one, 3 is deleted, 4 is new: the merge, as for any table that holds rows.
        await _bed.WriteAsync(destination, _bed.Upsert(1, "a@x", 50m, "free"), _bed.Upsert(2, "b@x", 5m, "pro"), _bed.Delete(3), _bed.Upsert(4, "d@x", 200m, "free"));

        Assert.Equal(1, destination.DirectBatches);
        Assert.Equal(["COPY", "INSERT"], await WritesAsync());
        Assert.Equal(["(1,a@x,50,free)", "(2,b@x,5,pro)", "(4,d@x,200,free)"], await _bed.RowsAsync());
        Assert.Equal(["(2,pro)", "(4,big)"], await _bed.GroupsAsync());
    }

    [Fact]
    public async Task Values_copied_directly_read_back_as_the_merge_writes_them()
    {
        decimal[] values =
        [
            0m, 0.00m, -0.05m, 1.50m, 12345.678m, 10000m, 100000000m, 0.0001m, 0.00001m, 0.0000000000000000000000000001m, decimal.MaxValue, decimal.MinValue,
            -1.2345678901234567890123456789m, 9999.9999m, 123456789012345678901234.5678m, -10000.0000m, 7.9228162514264337593543950335m,
        ];
        string?[] texts = ["plain", "", "ünïcødé ✓ 𝄞", null, "quote ' and \\ backslash", "tab\tand\nnewline"];
        var changes = values.Select((v, i) => _bed.Upsert(i + 1, texts[i % texts.Length], v, texts[(i + 1) % texts.Length])).ToArray();
        var merged = new RecordsBed(_bed.Db, table: "merged", groupsTable: "merged_groups");
        await merged.CreateTablesAsync();
        await TestSql.ExecuteAsync(_bed.Db, "INSERT INTO merged VALUES (0, 'not empty', 0, 'free')");
        await using var direct = _bed.Destination(RecordsMode.Sync, Groups);
        await using var merge = merged.Destination(RecordsMode.Sync, Groups);

        await _bed.WriteAsync(direct, changes);
        await merged.WriteAsync(merge, changes);

        Assert.Equal((1, 0), (direct.DirectBatches, merge.DirectBatches));
        Assert.Equal((await merged.RowsAsync()).Skip(1), await _bed.RowsAsync());
        Assert.Equal(await merged.GroupsAsync(), await _bed.GroupsAsync());
        Assert.Contains(await _bed.RowsAsync(), r => r.StartsWith("(11,", StringComparison.Ordinal) && r.Contains(",79228162514264337593543950335,", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_numeric_column_with_a_precision_and_scale_is_copied_and_rounds_as_the_merge_does()
    {
        // A currency field's column (numeric(18,2) in the Salesforce source bench): COPY rounds to the column's scale.
        decimal[] values = [0m, 1.005m, 1.004m, -2.675m, 12345678.125m, 0.0049m, -0.005m, 99999999.994m];
        var changes = values.Select((v, i) => _bed.Upsert(i + 1, "x@y", v, "free")).ToArray();
        var merged = new RecordsBed(_bed.Db, table: "merged", groupsTable: "merged_groups");
        await merged.CreateTablesAsync();
        await TestSql.ExecuteAsync(_bed.Db, $"""
            ALTER TABLE {_bed.Table} ALTER COLUMN lifetime_value TYPE numeric(10, 2);
            ALTER TABLE merged ALTER COLUMN lifetime_value TYPE numeric(10, 2);
            INSERT INTO merged VALUES (0, 'not empty', 0, 'free');
            """);
        await using var direct = _bed.Destination(RecordsMode.Sync, Groups);
        await using var merge = merged.Destination(RecordsMode.Sync, Groups);

        await _bed.WriteAsync(direct, changes);
        await merged.WriteAsync(merge, changes);

        Assert.Equal((1, 0), (direct.DirectBatches, merge.DirectBatches));
        Assert.Equal((await merged.RowsAsync()).Skip(1), await _bed.RowsAsync());
        Assert.Contains("(2,x@y,1.01,free)", await _bed.RowsAsync());

        // A value too large for the column: the COPY is refused and undone, and the batch takes the merge, which answers
        // for it exactly as it does for a table that held rows from the start.
        var tooLarge = new[] { _bed.Upsert(100, "big@y", 123456789m, "free"), _bed.Upsert(101, "fits@y", 1m, "free") };
        var copied = await OutcomeAsync(() => _bed.WriteAsync(direct, tooLarge));
        var mergedOutcome = await OutcomeAsync(() => merged.WriteAsync(merge, tooLarge));

        Assert.Equal(mergedOutcome, copied);
        Assert.Equal(1, direct.DirectBatches);
        Assert.Equal((await merged.RowsAsync()).Skip(1), await _bed.RowsAsync());
    }

    [Fact]
    public async Task A_table_that_holds_rows_takes_the_merge_from_the_first_write()
    {
        await TestSql.ExecuteAsync(_bed.Db, $"INSERT INTO {_bed.Table} VALUES (9, 'kept@x', 1, 'free')");
        await using var destination = _bed.Destination(RecordsMode.Sync, Groups);

        await _bed.WriteAsync(destination, _bed.Upsert(1, "a@x", 500m, "pro"), _bed.Upsert(2, "b@x", 5m, "free"));

        Assert.Equal(0, destination.DirectBatches);
        Assert.Equal(["INSERT", "INSERT"], await WritesAsync());
        Assert.Equal(["(1,a@x,500,pro)", "(2,b@x,5,free)", "(9,kept@x,1,free)"], await _bed.RowsAsync());
        Assert.Equal(["(1,big)", "(1,pro)"], await _bed.GroupsAsync());
    }

    [Fact]
    public async Task A_copy_that_meets_a_key_already_there_is_undone_and_the_batch_merges()
    {
        await using var destination = _bed.Destination(RecordsMode.Sync, Groups);
        await _bed.WriteAsync(destination, _bed.Upsert(1, "a@x", 500m, "pro"));
        // Someone else writes record 3's row, with a membership, between two batches of the load.
        await TestSql.ExecuteAsync(_bed.Db, $"INSERT INTO {_bed.Table} VALUES (3, 'theirs@x', 1000, 'pro'); INSERT INTO {_bed.GroupsTable} VALUES (3, 'pro')");

        var results = await _bed.WriteAsync(destination, _bed.Upsert(2, "b@x", 5m, "free"), _bed.Upsert(3, "c@x", 7m, "free"));
        await _bed.WriteAsync(destination, _bed.Upsert(5, "e@x", 7m, "free"));

        Assert.Equal(["2", "3"], results.Select(r => r.DestinationId));
        Assert.Equal(1, destination.DirectBatches);
        // The first batch copied; the second's COPY failed on key 3 and left nothing, so the merge wrote it; the third merged.
        Assert.Equal(["COPY", "INSERT", "INSERT", "INSERT"], await WritesAsync());
        Assert.Equal(["(1,a@x,500,pro)", "(2,b@x,5,free)", "(3,c@x,7,free)", "(5,e@x,7,free)"], await _bed.RowsAsync());
        Assert.Equal(["(1,big)", "(1,pro)"], await _bed.GroupsAsync());
    }

    [Fact]
    public async Task A_groups_table_without_a_foreign_key_to_the_table_keeps_the_merge()
    {
        // Without the key, the groups table may hold memberships of a record that has no row: a first load must end them.
        await TestSql.ExecuteAsync(_bed.Db, $"""
            ALTER TABLE {_bed.GroupsTable} DROP CONSTRAINT customer_groups_customer_id_fkey;
            INSERT INTO {_bed.GroupsTable} VALUES (1, 'stale');
            """);
        await using var destination = _bed.Destination(RecordsMode.Sync, Groups);

        await _bed.WriteAsync(destination, _bed.Upsert(1, "a@x", 500m, "pro"), _bed.Upsert(2, "b@x", 5m, "free"));

        Assert.Equal(0, destination.DirectBatches);
        Assert.Equal(["(1,a@x,500,pro)", "(2,b@x,5,free)"], await _bed.RowsAsync());
        Assert.Equal(["(1,big)", "(1,pro)"], await _bed.GroupsAsync());
    }

    [Fact]
    public async Task A_column_of_another_type_than_its_staged_value_keeps_the_merge()
    {
        // Binary COPY does not cast: an integer column takes the staged numeric only through the merge's cast.
        await TestSql.ExecuteAsync(_bed.Db, $"ALTER TABLE {_bed.Table} ALTER COLUMN lifetime_value TYPE integer");
        await using var destination = _bed.Destination(RecordsMode.Sync, Groups);

        await _bed.WriteAsync(destination, _bed.Upsert(1, "a@x", 500m, "pro"));

        Assert.Equal(0, destination.DirectBatches);
        Assert.Equal(["(1,a@x,500,pro)"], await _bed.RowsAsync());
    }

    [Fact]
    public async Task Enrich_mode_never_copies()
    {
        await using var enrich = _bed.Destination(RecordsMode.Enrich, Groups);
        await _bed.WriteAsync(enrich, _bed.Upsert(1, "a@x", 500m, "pro"));

        Assert.Equal(0, enrich.DirectBatches);
        Assert.Empty(await _bed.RowsAsync());
    }

    private async Task<List<string>> WritesAsync()
    {
        var statements = new List<string>();
        await using var command = _bed.Db.CreateCommand("SELECT statement FROM writes ORDER BY id");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            statements.Add(reader.GetString(0));
        }

        return statements;
    }

    /// <summary>What a write answered for each record, or the error it ended with.</summary>
    private static async Task<string> OutcomeAsync(Func<Task<IReadOnlyList<Sluice.Core.Connectors.WriteResult>>> write)
    {
        try
        {
            return string.Join("; ", (await write()).Select(r => $"{r.Status} {r.Reason}"));
        }
        catch (Sluice.Core.Errors.SluiceException e) when (e.InnerException is Npgsql.PostgresException postgres)
        {
            return $"{e.GetType().Name}: {postgres.SqlState} {postgres.MessageText}";
        }
    }
}
