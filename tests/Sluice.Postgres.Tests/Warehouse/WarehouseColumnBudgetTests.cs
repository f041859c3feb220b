using Sluice.Core.Connectors;
using Sluice.Postgres.Destinations.Warehouse;

namespace Sluice.Postgres.Tests.Warehouse;

/// <summary>PostgreSQL refuses a table of more than 1,600 columns, dropped ones included; the warehouse stays below.</summary>
public sealed class WarehouseColumnBudgetTests
{
    [Fact]
    public async Task Properties_traits_and_context_past_the_column_budget_go_to_discards_and_every_event_lands()
    {
        await using var bed = await WarehouseBed.CreateAsync(nameof(Properties_traits_and_context_past_the_column_budget_go_to_discards_and_every_event_lands));
        const int Batches = 17;

        for (var i = 0; i < Batches; i++)
        {
            var results = await bed.WriteAsync(
                Event($"t{i}", "track", $"\"event\":\"Wide\",\"properties\":{Fields($"p{i}_", 100)}"),
                // Strings: users holds every trait in one row, and a row of 1,000 bigints would not fit PostgreSQL's 8 KB page.
                Event($"i{i}", "identify", $"\"traits\":{Fields($"t{i}_", 100, quoted: true)}"),
                Event($"c{i}", "track", $"\"event\":\"Ctx\",\"context\":{Fields($"c{i}_", 100)}"));
            Assert.All(results, r => Assert.True(r.Status == WriteStatus.Ok, r.Reason));
        }

        var budget = new WarehouseDestinationOptions { Schema = "web" }.MaxColumns;
        Assert.Equal(1_000, budget);
        var columns = await bed.ColumnsAsync();
        foreach (var table in new[] { "wide", "identifies", "users", "tracks", "ctx" })
        {
            Assert.Equal(budget, columns[table].Count);
        }

        Assert.Equal(
            [[$"{Batches}", $"{Batches}", "1", $"{2 * Batches}", $"{Batches}"]],
            await bed.RowsAsync("""
                SELECT (SELECT count(*) FROM web.wide), (SELECT count(*) FROM web.identifies), (SELECT count(*) FROM web.users),
                       (SELECT count(*) FROM web.tracks), (SELECT count(*) FROM web.ctx)
                """));
        // wide: 10 standard columns, so 990 of the 1,700 properties have a column; the last 710 are discarded.
        Assert.Equal(
            [["wide", "710"]],
            await bed.RowsAsync("SELECT table_name, count(*) FROM web.discards WHERE table_name = 'wide' GROUP BY 1"));
        Assert.Equal(
            [["t16", "p16_99", "99", "web.wide has reached its column budget of 1000 columns (max_columns), so it gets no new column p16_99"]],
            await bed.RowsAsync("SELECT row_id, column_name, column_value, reason FROM web.discards WHERE column_name = 'p16_99'"));
        // The properties that have a column keep their values: the 990th is p9_89; p9_90 is the first discarded.
        Assert.Equal(
            [["0", "89"]],
            await bed.RowsAsync("SELECT (SELECT p0_0::text FROM web.wide WHERE id = 't0'), (SELECT p9_89::text FROM web.wide WHERE id = 't9')"));
        Assert.Equal([["t9", "90"]], await bed.RowsAsync("SELECT row_id, column_value FROM web.discards WHERE column_name = 'p9_90'"));
    }

    [Fact]
    public async Task Dropped_columns_count_against_PostgreSQLs_limit_so_the_load_never_hits_it()
    {
        await using var bed = await WarehouseBed.CreateAsync(nameof(Dropped_columns_count_against_PostgreSQLs_limit_so_the_load_never_hits_it));
        var destination = bed.CreateDestination(maxColumns: 1_600);
        Assert.All(await WarehouseBed.WriteAsync(destination, Event("t0", "track", "\"event\":\"Wide\",\"properties\":{\"a\":1}")), r => Assert.Equal(WriteStatus.Ok, r.Status));
        // 1,550 columns added and dropped: the table has 11 live columns and 1,561 attributes.
        await bed.ExecuteAsync("""
            DO $$ BEGIN
              FOR i IN 1..1550 LOOP EXECUTE format('ALTER TABLE web.wide ADD COLUMN x%s int', i); END LOOP;
              FOR i IN 1..1550 LOOP EXECUTE format('ALTER TABLE web.wide DROP COLUMN x%s', i); END LOOP;
            END $$
            """);

        var results = await WarehouseBed.WriteAsync(destination, Event("t1", "track", $"\"event\":\"Wide\",\"properties\":{Fields("q", 100)}"));

        Assert.All(results, r => Assert.True(r.Status == WriteStatus.Ok, r.Reason));
        Assert.Equal(1_600 - 1_550, (await bed.ColumnsAsync())["wide"].Count);
        Assert.Equal([["t0"], ["t1"]], await bed.RowsAsync("SELECT id FROM web.wide ORDER BY id"));
        var reasons = await bed.RowsAsync("SELECT reason FROM web.discards");
        Assert.Equal(61, reasons.Count);
        Assert.All(reasons, r => Assert.Contains("50 columns and 1550 dropped ones", r[0], StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_event_with_more_fields_than_the_budget_lands_with_the_rest_in_discards()
    {
        await using var bed = await WarehouseBed.CreateAsync(nameof(An_event_with_more_fields_than_the_budget_lands_with_the_rest_in_discards));
        var wide = "{" + string.Join(", ", Enumerable.Range(0, 1_600).Select(i => $"\"p{i}\": {i}")) + "}";

        var results = await bed.WriteAsync(
            Event("t1", "track", $"\"event\":\"Wide\",\"properties\":{wide}"),
            Event("t2", "track", "\"event\":\"Narrow\",\"properties\":{\"a\":1}"));

        Assert.All(results, r => Assert.True(r.Status == WriteStatus.Ok, r.Reason));
        Assert.Equal([["t1"], ["t2"]], await bed.RowsAsync("SELECT id FROM web.tracks ORDER BY id"));
        Assert.Equal(
            [["989", "610"]],
            await bed.RowsAsync("SELECT p989::text, (SELECT count(*) FROM web.discards WHERE row_id = 't1')::text FROM web.wide"));
    }

    private static string Fields(string prefix, int count, bool quoted = false) =>
        "{" + string.Join(",", Enumerable.Range(0, count).Select(k => quoted ? $"\"{prefix}{k}\":\"{k}\"" : $"\"{prefix}{k}\":{k}")) + "}";

    private static string Event(string id, string type, string fields) =>
        $$"""{"type":"{{type}}","messageId":"{{id}}","userId":"u","receivedAt":"2024-05-01T10:00:05Z",{{fields}}}""";
}
