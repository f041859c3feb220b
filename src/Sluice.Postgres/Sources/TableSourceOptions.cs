using Sluice.Core.Configuration;
using Sluice.Core.Connectors;

namespace Sluice.Postgres.Sources;

/// <summary>
/// A table read incrementally by a high-watermark column (G2): <c>table</c>, <c>cursor</c>,
/// <c>key</c> (default: the primary key), <c>filter</c>, <c>page_size</c>.
/// </summary>
public sealed class TableSourceOptions
{
    /// <summary><c>schema.table</c>, or a table in the connection's schema.</summary>
    public required string Table { get; init; }

    /// <summary>The high-watermark column (<c>updated_at</c> or an increasing id); rows where it is NULL are never read.</summary>
    public required string Cursor { get; init; }

    /// <summary>The record key; <c>null</c>: the table's primary key. It breaks ties on the cursor.</summary>
    public IReadOnlyList<string>? Key { get; init; }

    /// <summary>A SQL condition rows must meet, e.g. <c>deleted_at IS NULL</c>.</summary>
    public string? Filter { get; init; }

    /// <summary>Rows per keyset page. Default 10,000.</summary>
    public int PageSize { get; init; } = 10_000;

    /// <summary>The YAML section, for errors that point at a line.</summary>
    public ConfigSection? Config { get; init; }

    /// <summary>A backfill's range (<c>sluice backfill</c>); <c>null</c>: the sync's own reads, every row.</summary>
    public SourceRange? Range { get; init; }

    /// <summary>The same source, limited to <paramref name="range"/>.</summary>
    public TableSourceOptions WithRange(SourceRange range) => new()
    {
        Table = Table,
        Cursor = Cursor,
        Key = Key,
        Filter = Filter,
        PageSize = PageSize,
        Config = Config,
        Range = range,
    };

    public static TableSourceOptions Bind(ConfigSection source)
    {
        var options = new TableSourceOptions
        {
            Table = source.RequireString("table", "name the table, e.g. 'table: public.users'"),
            Cursor = source.RequireString("cursor", "name a column that grows on every change, e.g. 'cursor: updated_at'"),
            Key = source.GetStringList("key"),
            Filter = source.GetString("filter"),
            PageSize = source.GetInt("page_size", 1, 1_000_000) ?? 10_000,
            Config = source,
        };
        source.RejectUnknownKeys(["connection"]);
        return options;
    }
}
