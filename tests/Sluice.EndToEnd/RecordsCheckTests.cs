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
        // The terminal may wrap the line anywhere: compare without whitespace.
        var flat = string.Concat(output.Where(c => !char.IsWhiteSpace(c)));
        Assert.True(flat.Contains("thetabledoesnotexist", StringComparison.Ordinal), output);
        Assert.True(flat.Contains("CREATETABLE\"public\".\"customers\"(\"id\"integerPRIMARYKEY,\"email\"text,\"lifetime_value\"numeric,\"last_seen_at\"timestampwithtimezone);",
            StringComparison.Ordinal), output);
    }
}
