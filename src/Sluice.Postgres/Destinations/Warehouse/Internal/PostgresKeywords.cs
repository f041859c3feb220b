namespace Sluice.Postgres.Destinations.Warehouse.Internal;

/// <summary>
/// PostgreSQL's reserved key words, as RudderStack's warehouse loader lists them for Postgres
/// (<c>rudder-server</c> <c>internal/reservedkeywords/tablescolumns.json</c>, key <c>POSTGRES</c>, 93 entries).
/// A table or column named after one of them gets a <c>_</c> prefix, so that no reader has to quote it.
/// </summary>
internal static class PostgresKeywords
{
    private static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase)
    {
        "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "authorization", "between",
        "binary", "both", "case", "cast", "check", "collate", "column", "constraint", "create", "cross",
        "current_date", "current_role", "current_time", "current_timestamp", "current_user", "default", "deferrable",
        "desc", "distinct", "do", "else", "end", "except", "false", "for", "foreign", "freeze", "from", "full", "grant",
        "group", "having", "ilike", "in", "initially", "inner", "intersect", "into", "is", "isnull", "join", "leading",
        "left", "like", "limit", "localtime", "localtimestamp", "natural", "new", "not", "notnull", "null", "off",
        "offset", "old", "on", "only", "or", "order", "outer", "overlaps", "placing", "primary", "references", "right",
        "select", "session_user", "similar", "some", "symmetric", "table", "then", "to", "trailing", "true", "union",
        "unique", "user", "using", "verbose", "when", "where",
    };

    public static int Count => Reserved.Count;

    public static bool Contains(string name) => Reserved.Contains(name);
}
