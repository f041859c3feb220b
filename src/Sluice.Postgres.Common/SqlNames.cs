namespace Sluice.Postgres;

/// <summary>Identifier quoting. Every name that reaches SQL text goes through here.</summary>
public static class SqlNames
{
    public static string Quote(string identifier) =>
        "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>Quotes <c>schema.table</c> (or a bare table) part by part.</summary>
    public static string QuoteQualified(string? schema, string name) =>
        schema is null ? Quote(name) : Quote(schema) + "." + Quote(name);
}
