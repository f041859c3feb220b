namespace Sluice.Postgres.Destinations;

/// <summary>
/// The events table (P2): one row per event, keyed by <c>event_id</c> so that a replayed event is a no-op.
/// Used by <c>create_table: true</c>, by <c>sluice check</c>'s advice and in the docs.
/// </summary>
public static class EventsTableDdl
{
    /// <summary>The columns, in the order the destination inserts them.</summary>
    public static IReadOnlyList<(string Name, string Type)> Columns { get; } =
    [
        ("event_id", "uuid PRIMARY KEY"),
        ("event_type", "text NOT NULL"),
        ("occurred_at", "timestamptz NOT NULL"),
        ("customer_external_id", "text"),
        ("source", "text NOT NULL"),
        ("payload", "jsonb NOT NULL"),
        ("metadata", "jsonb NOT NULL"),
        ("received_at", "timestamptz NOT NULL"),
    ];

    /// <summary>
    /// <c>CREATE TABLE IF NOT EXISTS</c> and its index on <c>(event_type, occurred_at)</c>, the usual way such a table
    /// is read ("these events, in this period"). When not <paramref name="pretty"/>: the table alone, on one line,
    /// for a message or a dead letter's reason (the index is a choice, the table is the fix).
    /// </summary>
    public static string CreateTable(string schema, string table, bool pretty = true)
    {
        var qualified = SqlNames.QuoteQualified(schema, table);
        if (!pretty)
        {
            return $"CREATE TABLE IF NOT EXISTS {qualified} ({string.Join(", ", Columns.Select(c => $"{SqlNames.Quote(c.Name)} {c.Type}"))});";
        }

        var columns = string.Join(",\n    ", Columns.Select(c => $"{SqlNames.Quote(c.Name),-22} {c.Type}"));
        var index = SqlNames.Quote(EventsTableNames.Derived(table, "type_time"));
        return $"CREATE TABLE IF NOT EXISTS {qualified} (\n    {columns}\n);\nCREATE INDEX IF NOT EXISTS {index} ON {qualified} (\"event_type\", \"occurred_at\");";
    }

    /// <summary>What a writer role needs, and nothing more (P6): USAGE on the schema and INSERT on the table.</summary>
    public static string Grants(string schema, string table, string role) =>
        $"GRANT USAGE ON SCHEMA {SqlNames.Quote(schema)} TO {SqlNames.Quote(role)}; GRANT INSERT ON {SqlNames.QuoteQualified(schema, table)} TO {SqlNames.Quote(role)};";
}
