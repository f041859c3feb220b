using Sluice.Core.Configuration;

namespace Sluice.Postgres.Destinations.Records;

/// <summary>
/// A records export's keys under a sync's <c>destination:</c> (G4, G5; docs/records.md): <c>table</c> and <c>key</c>
/// (required), <c>mode</c> (<c>additive</c>, the default; <c>sync</c>; <c>enrich</c>), <c>groups</c>. The sync's
/// <c>mapping:</c> names the table's columns (targets) and the source columns they take; its <c>batch.size</c> the rows per
/// transaction (default 5,000).
/// </summary>
internal sealed class RecordsDestinationOptions
{
    /// <summary>Rows per batch, and so per transaction, unless the sync's <c>batch.size</c> says otherwise.</summary>
    public const int DefaultBatchSize = 5_000;

    public required string Schema { get; init; }

    public required string Table { get; init; }

    /// <summary>The table's key column: a mapping target, unique in the table (its primary key).</summary>
    public required string Key { get; init; }

    public RecordsMode Mode { get; init; } = RecordsMode.Additive;

    public RecordsGroupsOptions? Groups { get; init; }

    /// <summary>The mapping's targets: the only columns written.</summary>
    public IReadOnlyList<string> Columns { get; init; } = [];

    public int BatchSize { get; init; } = DefaultBatchSize;

    /// <summary>Where <c>destination:</c> is written, for errors.</summary>
    public ConfigLocation? Location { get; init; }

    public string QualifiedTable => SqlNames.QuoteQualified(Schema, Table);

    /// <summary>Whether the destination's keys ask for a records export (a <c>key:</c>, or <c>layout: records</c>).</summary>
    public static bool IsRequested(ConfigSection destination) =>
        destination.Has("key") || string.Equals(destination.GetString("layout")?.Trim(), "records", StringComparison.OrdinalIgnoreCase);

    public static RecordsDestinationOptions Bind(SyncConfig sync, PostgresConnectionOptions connection)
    {
        var destination = sync.Destination;
        var (schema, table) = SplitTable(destination, "table", connection.Schema, "name the table records are exported to, e.g. 'table: public.customers' (it must exist; `sluice check` prints its CREATE TABLE)");
        var key = destination.RequireString("key", "name the table's key column, e.g. 'key: id', and map it: 'mapping: {id: id, …}'");
        var mode = destination.GetString("mode")?.Trim().ToLowerInvariant() switch
        {
            null or "additive" => RecordsMode.Additive,
            "sync" => RecordsMode.Sync,
            "enrich" => RecordsMode.Enrich,
            _ => throw new ConfigException(destination.LocationOf("mode"), $"unknown mode {destination.Show("mode")}",
                "use 'mode: additive' (create and update; the default), 'mode: sync' (and delete rows whose record is gone) or 'mode: enrich' (update existing rows only)"),
        };
        var columns = new List<string>();
        foreach (var field in sync.Mapping.Fields)
        {
            if (field.Children is not null)
            {
                throw new ConfigException(field.Location, $"'{field.Target}' is a nested mapping, but a records table takes one column per target",
                    $"write '{field.Target}: <source column>'");
            }

            columns.Add(field.Target);
        }

        if (!columns.Contains(key, StringComparer.Ordinal))
        {
            throw new ConfigException(sync.Mapping.Location, $"the mapping does not map the key column '{key}'",
                $"add '{key}: <source column>' to the mapping: the key says which row a record is");
        }

        var groups = destination.GetSection("groups") is { } section ? RecordsGroupsOptions.Bind(section, connection.Schema, columns) : null;
        var options = new RecordsDestinationOptions
        {
            Schema = schema,
            Table = table,
            Key = key,
            Mode = mode,
            Groups = groups,
            Columns = columns,
            BatchSize = sync.Section.GetSection("batch")?.GetInt("size", 1, 100_000) ?? DefaultBatchSize,
            Location = destination.Location,
        };
        destination.RejectUnknownKeys(["connection", "layout"]);
        return options;
    }

    /// <summary><c>schema.table</c> or a table in <paramref name="defaultSchema"/>, each part a usable name.</summary>
    internal static (string Schema, string Table) SplitTable(ConfigSection section, string key, string defaultSchema, string fix)
    {
        var written = section.RequireString(key, fix);
        var dot = written.IndexOf('.', StringComparison.Ordinal);
        var (schema, table) = dot < 0 ? (defaultSchema, written) : (written[..dot], written[(dot + 1)..]);
        foreach (var name in new[] { schema, table })
        {
            if (!Warehouse.WarehouseNames.IsUsableIdentifier(name))
            {
                throw new ConfigException(section.LocationOf(key), $"{section.Show(key)} is not a usable table name: each part must be 1 to 63 bytes", fix);
            }
        }

        return (schema, table);
    }
}
