using Sluice.Core.Configuration;

namespace Sluice.Postgres.Destinations.Records;

/// <summary>
/// A records export's keys under a sync's <c>destination:</c> (G4, G5; docs/records.md): <c>table</c> and <c>key</c>
/// (required; a list of columns for <c>mode: append</c>), <c>mode</c> (<c>additive</c>, the default; <c>sync</c>;
/// <c>enrich</c>; <c>append</c>), <c>deletes</c> (<c>delete</c>, the default, or <c>soft</c>: <c>deleted_at</c> is set),
/// <c>groups</c>. The sync's
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

    /// <summary>
    /// Every column of the table's unique key: <see cref="Key"/> alone, a composite key (<c>key: [tenant_id, id]</c>,
    /// <see cref="IsComposite"/>), or, for <see cref="RecordsMode.Append"/>, the record's key and the columns that tell
    /// its versions apart (<c>key: [Id, SystemModstamp]</c>).
    /// </summary>
    public IReadOnlyList<string> KeyColumns
    {
        get => _keyColumns ?? [Key];
        init => _keyColumns = value;
    }

    private readonly IReadOnlyList<string>? _keyColumns;

    /// <summary>
    /// A record is a row by several columns (sync, additive, enrich): rows are matched on all of them, and a deleted
    /// record's columns come from its key, the source's key values in order (a JSON array of their text).
    /// </summary>
    public bool IsComposite => KeyColumns.Count > 1 && Mode != RecordsMode.Append;

    public RecordsMode Mode { get; init; } = RecordsMode.Additive;

    /// <summary><c>deletes: soft</c> (sync mode): a deleted record's row stays, with <see cref="DeletedAt"/> set; cleared when the record comes back.</summary>
    public bool SoftDelete { get; init; }

    /// <summary>The column a soft delete sets (<c>deleted_at:</c>; default <c>deleted_at</c>), a timestamp column not in the mapping.</summary>
    public string DeletedAt { get; init; } = "deleted_at";

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
        const string KeyFix = "name the table's key column, e.g. 'key: id', and map it: 'mapping: {id: id, …}'";
        var keys = destination.GetStringList("key") is { Count: > 0 } list ? list.Select(k => k.Trim()).ToList()
            : throw new ConfigException(destination.LocationOf("key"), "'key' is missing", KeyFix);
        var key = keys[0];
        var mode = ModeOf(destination);
        if (keys.Count > 1 && mode != RecordsMode.Append && destination.Has("groups"))
        {
            throw new ConfigException(destination.LocationOf("groups"),
                $"the groups table refers to its record by one column, and the key is {keys.Count} columns ({string.Join(", ", keys)})",
                "give the records table a one-column key to export groups by (e.g. a generated 'record_id' mapped from a source column, 'key: record_id'), or remove 'groups:'");
        }

        var soft = SoftDeleteOf(destination);
        if (soft && mode != RecordsMode.Sync)
        {
            throw new ConfigException(destination.LocationOf("deletes"), $"'deletes: soft' says how deleted records are written, but only mode: sync deletes (this is mode: {mode.ToString().ToLowerInvariant()})",
                "add 'mode: sync', or remove 'deletes:'");
        }

        var deletedAt = destination.GetString("deleted_at")?.Trim() ?? "deleted_at";
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

        foreach (var column in keys.Where(k => !columns.Contains(k, StringComparer.Ordinal)))
        {
            throw new ConfigException(sync.Mapping.Location, $"the mapping does not map the key column '{column}'",
                $"add '{column}: <source column>' to the mapping: the key says which row a record is");
        }

        if (soft && columns.Contains(deletedAt, StringComparer.Ordinal))
        {
            throw new ConfigException(destination.Has("deleted_at") ? destination.LocationOf("deleted_at") : destination.LocationOf("deletes"),
                $"'{deletedAt}' is mapped, but with 'deletes: soft' Sluice sets it when a record is deleted and clears it when it comes back",
                $"remove '{deletedAt}' from the mapping, or name another column with 'deleted_at: <column>'");
        }

        if (mode == RecordsMode.Append && destination.Has("groups"))
        {
            throw new ConfigException(destination.LocationOf("groups"), "an append-only table keeps every version of a record; it has no current memberships to export",
                "remove 'groups:', or export the groups from a sync into a records table (mode: sync or additive)");
        }

        var groups = destination.GetSection("groups") is { } section ? RecordsGroupsOptions.Bind(section, connection.Schema, columns) : null;
        var options = new RecordsDestinationOptions
        {
            Schema = schema,
            Table = table,
            Key = key,
            KeyColumns = keys,
            Mode = mode,
            SoftDelete = soft,
            DeletedAt = deletedAt,
            Groups = groups,
            Columns = columns,
            BatchSize = sync.Section.GetSection("batch")?.GetInt("size", 1, 100_000) ?? DefaultBatchSize,
            Location = destination.Location,
        };
        destination.RejectUnknownKeys(["connection", "layout"]);
        return options;
    }

    /// <summary>The <c>mode:</c> written (additive when none), or a config error naming the four.</summary>
    internal static RecordsMode ModeOf(ConfigSection destination) =>
        destination.GetString("mode")?.Trim().ToLowerInvariant() switch
        {
            null or "additive" => RecordsMode.Additive,
            "sync" => RecordsMode.Sync,
            "enrich" => RecordsMode.Enrich,
            "append" => RecordsMode.Append,
            _ => throw new ConfigException(destination.LocationOf("mode"), $"unknown mode {destination.Show("mode")}",
                "use 'mode: additive' (create and update; the default), 'mode: sync' (and delete rows whose record is gone), 'mode: enrich' (update existing rows only) " +
                "or 'mode: append' (insert each new version; never update or delete)"),
        };

    /// <summary>Whether <c>deletes: soft</c> is written (<c>delete</c>, the default, otherwise).</summary>
    internal static bool SoftDeleteOf(ConfigSection destination) =>
        destination.GetString("deletes")?.Trim().ToLowerInvariant() switch
        {
            null or "delete" => false,
            "soft" => true,
            _ => throw new ConfigException(destination.LocationOf("deletes"), $"unknown deletes {destination.Show("deletes")}",
                "use 'deletes: delete' (delete the row; the default) or 'deletes: soft' (set its deleted_at)"),
        };

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
