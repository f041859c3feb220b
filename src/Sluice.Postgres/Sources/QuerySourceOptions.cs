using Sluice.Core.Configuration;

namespace Sluice.Postgres.Sources;

/// <summary>
/// A source read whole and diffed against the fingerprints of the last run (G3): either <c>query</c>
/// (any SQL returning rows) with <c>key</c>, or <c>table</c> without a <c>cursor</c>, with an optional
/// <c>key</c> (default: the primary key) and <c>filter</c>.
/// </summary>
internal sealed class QuerySourceOptions
{
    /// <summary>A SQL query returning one row per record, e.g. <c>SELECT id, email FROM users WHERE active</c>.</summary>
    public string? Query { get; init; }

    /// <summary><c>schema.table</c> (or a table in the connection's schema) to diff whole; used when <see cref="Query"/> is not set.</summary>
    public string? Table { get; init; }

    /// <summary>The columns that identify a record. Required with a query; with a table, default the primary key.</summary>
    public IReadOnlyList<string>? Key { get; init; }

    /// <summary>With a table: a SQL condition rows must meet, e.g. <c>deleted_at IS NULL</c>.</summary>
    public string? Filter { get; init; }

    /// <summary>The YAML section, for errors that point at a line.</summary>
    public ConfigSection? Config { get; init; }

    public static QuerySourceOptions Bind(ConfigSection source)
    {
        var query = source.GetString("query");
        var table = source.GetString("table");
        if (query is not null && table is not null)
        {
            throw new ConfigException(source.LocationOf("query"), "the source has both 'query:' and 'table:'",
                "keep one: 'query:' with 'key:' to diff a query, or 'table:' (with 'cursor:' to read by cursor, without to diff)");
        }

        if (query is not null && string.IsNullOrWhiteSpace(query.TrimEnd().TrimEnd(';')))
        {
            throw new ConfigException(source.LocationOf("query"), "'query' is empty", "write a SELECT returning one row per record, e.g. \"SELECT id, email FROM users\"");
        }

        var key = source.GetStringList("key");
        if (query is not null && key is null)
        {
            throw new ConfigException(source.LocationOf("query"), "a query source needs 'key:', the column(s) that identify a record",
                "add e.g. 'key: [id]' (a column the query returns)");
        }

        if (query is not null && source.Has("cursor"))
        {
            throw new ConfigException(source.LocationOf("cursor"), "a query is diffed by its key, not read by a cursor",
                "remove 'cursor:' (every run compares the query's rows with what the last run saw)");
        }

        if (query is not null && source.Has("filter"))
        {
            throw new ConfigException(source.LocationOf("filter"), "'filter' applies to a table; a query has its own WHERE", "move the condition into the query");
        }

        var options = new QuerySourceOptions
        {
            Query = query,
            Table = table,
            Key = key,
            Filter = query is null ? source.GetString("filter") : null,
            Config = source,
        };
        source.RejectUnknownKeys(["connection"]);
        return options;
    }
}
