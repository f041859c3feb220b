namespace Sluice.EndToEnd;

/// <summary><c>sluice check</c> on a records export whose table is missing: it says so and prints the CREATE TABLE, typed from the mapping.</summary>
public sealed class RecordsCheckTests
{
    [Fact]
    public async Task Check_prints_the_create_table_of_a_missing_records_table_typed_from_the_mapping()
    {
        await using var bed = await TestBed.CreateAsync(nameof(Check_prints_the_create_table_of_a_missing_records_table_typed_from_the_mapping),
            "CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL, spend numeric(12,2), seen_at timestamptz);",
            at => $"""
                {at.Connections(segment: false)}
                syncs:
                  customers_export:
                    source: {"{"}connection: app, table: public.users{"}"}
                    destination: {"{"}connection: app, table: public.customers, key: id, mode: sync{"}"}
                    mapping: {"{"}id: id, email: email, lifetime_value: spend, last_seen_at: seen_at{"}"}

                """);

        var (exit, output) = await bed.RunSluiceAsync("check", "-c", bed.ConfigPath);

        Assert.NotEqual(0, exit);
        var flat = string.Join(' ', output.Split('\n', StringSplitOptions.TrimEntries));
        Assert.Contains("the table does not exist", flat, StringComparison.Ordinal);
        Assert.Contains("CREATE TABLE \"public\".\"customers\" (\"id\" integer PRIMARY KEY, \"email\" text, \"lifetime_value\" numeric(12,2), \"last_seen_at\" timestamp with time zone);", flat, StringComparison.Ordinal);
    }
}
