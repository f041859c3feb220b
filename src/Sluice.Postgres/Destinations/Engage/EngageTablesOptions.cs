using Sluice.Core.Configuration;

namespace Sluice.Postgres.Destinations.Engage;

/// <summary>
/// <c>layout: engage</c> under a sync's <c>destination:</c>: where Engage's audiences and computed traits land.
/// <c>audiences_table</c> (default <c>engage_audiences</c>) and <c>traits_table</c> (default <c>engage_traits</c>), in the
/// connection's schema unless written <c>schema.table</c>; created on the first write when missing.
/// </summary>
internal sealed class EngageTablesOptions
{
    public required (string Schema, string Table) Audiences { get; init; }

    public required (string Schema, string Table) Traits { get; init; }

    /// <summary>Deliveries per batch: the sync's <c>batch.size</c>, default 1,000.</summary>
    public int BatchSize { get; init; } = 1_000;

    public static EngageTablesOptions Bind(SyncConfig sync, PostgresConnectionOptions connection)
    {
        var destination = sync.Destination;
        (string, string) Table(string key, string fallback)
        {
            var written = destination.GetString(key) ?? fallback;
            var dot = written.IndexOf('.', StringComparison.Ordinal);
            var (schema, table) = dot < 0 ? (connection.Schema, written) : (written[..dot], written[(dot + 1)..]);
            if (!Warehouse.WarehouseNames.IsUsableIdentifier(schema) || !Warehouse.WarehouseNames.IsUsableIdentifier(table))
            {
                throw new ConfigException(destination.LocationOf(key), $"{destination.Show(key)} is not a usable table name: each part must be 1 to 63 bytes",
                    $"write '{key}: schema.table' or a bare table name, e.g. '{key}: public.{fallback}'");
            }

            return (schema, table);
        }

        var options = new EngageTablesOptions
        {
            Audiences = Table("audiences_table", "engage_audiences"),
            Traits = Table("traits_table", "engage_traits"),
            BatchSize = sync.Section.GetSection("batch")?.GetInt("size", 1, 100_000) ?? 1_000,
        };
        destination.RejectUnknownKeys(["connection", "layout"]);
        return options;
    }
}
