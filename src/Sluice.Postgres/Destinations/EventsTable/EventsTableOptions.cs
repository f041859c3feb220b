using Sluice.Core.Configuration;

namespace Sluice.Postgres.Destinations;

/// <summary>
/// The events-table destination's keys under a sync's <c>destination:</c> (P2–P5):
/// <c>table</c> (required), <c>table_per_event_type</c> (default false), <c>create_table</c> (default false).
/// Batch size and flush window are the sync's <c>batch.size</c> (default 1,000) and <c>batch.flush_window</c> (default 1 s).
/// </summary>
internal sealed class EventsTableOptions
{
    /// <summary>Default events per batch, and so per INSERT statement and transaction (P3).</summary>
    public const int DefaultBatchSize = 1_000;

    /// <summary>The schema of <see cref="Table"/>: as written in <c>schema.table</c>, else the connection's schema.</summary>
    public required string Schema { get; init; }

    /// <summary>The events table; with <see cref="TablePerEventType"/>, the prefix of each event type's table.</summary>
    public required string Table { get; init; }

    /// <summary>
    /// Write each event to <c>&lt;table&gt;_&lt;event_type&gt;</c> (the event type snake-cased and made safe by
    /// <c>WarehouseNames</c>) instead of <see cref="Table"/> (P5). Default false.
    /// </summary>
    public bool TablePerEventType { get; init; }

    /// <summary>
    /// Create a missing table (<c>CREATE TABLE IF NOT EXISTS</c>) on the first write that needs it. Default false:
    /// the usual writer role has INSERT only (P6) and cannot; <c>sluice check</c> prints the DDL to run instead.
    /// </summary>
    public bool CreateTable { get; init; }

    /// <summary>Events per batch at most: the sync's <c>batch.size</c>, default <see cref="DefaultBatchSize"/>.</summary>
    public int BatchSize { get; init; } = DefaultBatchSize;

    /// <summary>Where <c>table:</c> is written, for errors.</summary>
    public ConfigLocation? TableLocation { get; init; }

    /// <summary><see cref="Table"/> in <see cref="Schema"/>, quoted for SQL.</summary>
    public string QualifiedTable => SqlNames.QuoteQualified(Schema, Table);

    public static EventsTableOptions Bind(SyncConfig sync, PostgresConnectionOptions connection)
    {
        var destination = sync.Destination;
        var written = destination.RequireString("table", "name the table events are written to, e.g. 'table: public.events' (`sluice check` prints its CREATE TABLE)");
        var location = destination.LocationOf("table");
        var dot = written.IndexOf('.', StringComparison.Ordinal);
        var (schema, table) = dot < 0 ? (connection.Schema, written) : (written[..dot], written[(dot + 1)..]);
        foreach (var name in new[] { schema, table })
        {
            if (!Warehouse.WarehouseNames.IsUsableIdentifier(name))
            {
                throw new ConfigException(location, $"{destination.Show("table")} is not a usable table name: each part must be 1 to 63 bytes",
                    "write 'table: schema.table' or a bare table name, e.g. 'table: public.events'");
            }
        }

        var options = new EventsTableOptions
        {
            Schema = schema,
            Table = table,
            TablePerEventType = destination.GetBool("table_per_event_type") ?? false,
            CreateTable = destination.GetBool("create_table") ?? false,
            // The engine caps a batch at the destination's limit, so the sync's batch.size becomes the limit:
            // 1,000 by default, more or fewer when the sync says so.
            BatchSize = sync.Section.GetSection("batch")?.GetInt("size", 1, 100_000) ?? DefaultBatchSize,
            TableLocation = location,
        };
        destination.RejectUnknownKeys(["connection", "layout"]);
        return options;
    }
}
