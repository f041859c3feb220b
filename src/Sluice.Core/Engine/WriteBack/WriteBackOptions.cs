using Sluice.Core.Configuration;

namespace Sluice.Core.Engine.WriteBack;

/// <summary>
/// <c>write_back: {column: salesforce_contact_id}</c>: after the destination acknowledged a record with an id of its own
/// (<c>WriteResult.Acknowledged(id)</c>), that id is written to <see cref="Column"/> of the source's row. For a table
/// (or CDC) source the row is found by the source's table and key; a query source names them (<see cref="Table"/>,
/// <see cref="Key"/>), since a query has no table of its own.
/// </summary>
public sealed class WriteBackOptions
{
    /// <summary>The column the destination's id is written to (text, varchar, uuid or an integer column).</summary>
    public required string Column { get; init; }

    /// <summary>The table holding <see cref="Column"/>; <c>null</c>: the source's table.</summary>
    public string? Table { get; init; }

    /// <summary>The column whose value is the record key; <c>null</c>: the source's key (or the table's primary key).</summary>
    public string? Key { get; init; }

    /// <summary>Where <c>write_back:</c> is in the config, for errors that name file and key.</summary>
    public required ConfigLocation Location { get; init; }

    /// <summary>The sync's <c>write_back:</c>, or <c>null</c> when it has none.</summary>
    public static WriteBackOptions? Bind(SyncConfig sync)
    {
        ArgumentNullException.ThrowIfNull(sync);
        if (!sync.Section.Has("write_back"))
        {
            return null;
        }

        const string Fix = "write 'write_back: {column: salesforce_contact_id}' (and, for a query source, 'table:' and 'key:')";
        var section = sync.Section.GetSection("write_back")
            ?? throw new ConfigException(sync.Section.LocationOf("write_back"), "'write_back' is not a mapping", Fix);
        var options = new WriteBackOptions
        {
            Column = section.RequireString("column", "name the column the destination's id is written to, e.g. 'column: salesforce_contact_id'"),
            Table = section.GetString("table"),
            Key = section.GetString("key"),
            Location = section.Location,
        };
        section.RejectUnknownKeys();
        return options;
    }
}
