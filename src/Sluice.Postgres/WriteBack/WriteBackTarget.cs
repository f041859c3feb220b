using Sluice.Core.Configuration;

namespace Sluice.Postgres.WriteBack;

/// <summary>Where a sync's ids go: the table (as written, resolved by PostgreSQL), the key column (or the primary key) and the column.</summary>
internal sealed record WriteBackTarget(string Table, string? Key, string Column, ConfigLocation Location)
{
    /// <summary>
    /// The target of <paramref name="options"/> for <paramref name="sync"/>'s source: a table, cursor or CDC source lends
    /// its table and key; a query source must name them.
    /// </summary>
    public static WriteBackTarget For(SyncConfig sync, Core.Engine.WriteBack.WriteBackOptions options)
    {
        var source = sync.Source;
        var tables = source.GetStringList("tables");
        var table = options.Table ?? (source.Has("query") ? null : source.GetString("table") ?? (tables is [var only] ? only : null))
            ?? throw new ConfigException(options.Location, "write_back names no table, and the source has none of its own to lend (a query, or several tables)",
                "name the table and its key: 'write_back: {table: public.users, key: id, column: " + options.Column + "}'");
        var keys = options.Table is null ? source.GetStringList("key") : null;
        if (options.Key is null && keys is { Count: > 1 })
        {
            throw new ConfigException(options.Location, $"the source's key has {keys.Count} columns; a write-back finds rows by one",
                "name the column whose value is the record key: 'write_back: {key: id, …}'");
        }

        return new WriteBackTarget(table, options.Key ?? (keys is [var key] ? key : null), options.Column, options.Location);
    }
}
