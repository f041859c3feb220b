using Sluice.Core.Configuration;

namespace Sluice.Postgres.Destinations.Warehouse;

/// <summary>
/// A sync's <c>destination:</c> when it loads Segment events into a PostgreSQL connection with Segment's warehouse
/// schema: <c>destination: {connection: wh, layout: warehouse, schema: web}</c> (docs/warehouse-schema.md).
/// </summary>
internal sealed class WarehouseDestinationOptions
{
    /// <summary>The <c>layout:</c> value that selects this destination.</summary>
    public const string Layout = "warehouse";

    /// <summary>The schema the source's tables live in (Segment: one schema per source). Default: the sync's source
    /// connection name, named by <see cref="WarehouseNames.Schema"/> (<c>My Website</c> → <c>my_website</c>).</summary>
    public required string Schema { get; init; }

    /// <summary>Where the destination was configured, for errors about the columns it reads; null when built in code.</summary>
    public ConfigLocation? Location { get; init; }

    /// <summary>
    /// How long DDL waits for a table lock before giving up and retrying. <c>ALTER TABLE … ADD COLUMN</c> needs a
    /// brief ACCESS EXCLUSIVE lock, which queues behind any open transaction that has read the table and blocks every
    /// reader queued after it; waiting a bounded time keeps a long user query from wedging both. Default 5 s.
    /// </summary>
    public TimeSpan DdlLockTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a load waits for a lock (a user's <c>LOCK TABLE</c> or non-concurrent <c>CREATE INDEX</c>,
    /// another loader's uncommitted row with the same id) before the batch is retried. Default 30 s.</summary>
    public TimeSpan LoadLockTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The default of <see cref="MaxColumns"/>: 600 below PostgreSQL's limit, as room for dropped columns.</summary>
    public const int DefaultMaxColumns = 1_000;

    /// <summary>The smallest <see cref="MaxColumns"/>: every table's standard columns and some context fit.</summary>
    public const int MinMaxColumns = 20;

    /// <summary>
    /// The most columns the loader gives one warehouse table (<c>max_columns:</c>), its standard columns included;
    /// values for columns past it go to <c>discards</c> (<see cref="WarehouseColumnBudget"/>). At most PostgreSQL's
    /// 1,600, which counts dropped columns too, so the default of 1,000 leaves room for them.
    /// </summary>
    public int MaxColumns { get; init; } = DefaultMaxColumns;

    /// <summary>
    /// Reads <c>layout</c>, <c>schema</c> and <c>max_columns</c> from the sync's <c>destination:</c> and rejects any other key besides
    /// <c>connection</c>. A <c>schema:</c> written out must already be a warehouse name (lower-case snake case), so
    /// the schema created is the one the file says.
    /// </summary>
    public static WarehouseDestinationOptions Bind(SyncConfig sync)
    {
        var destination = sync.Destination;
        var layout = destination.GetString("layout");
        if (layout is not null && !string.Equals(layout.Trim(), Layout, StringComparison.OrdinalIgnoreCase))
        {
            throw new ConfigException(destination.LocationOf("layout"), $"'layout' is {destination.Show("layout")} here, but these options are for 'layout: {Layout}'",
                $"write 'layout: {Layout}' to load Segment's warehouse schema");
        }

        string schema;
        var written = destination.GetString("schema");
        if (written is null)
        {
            schema = WarehouseNames.Schema(sync.SourceConnection);
        }
        else
        {
            schema = WarehouseNames.Schema(written);
            if (schema != written)
            {
                throw new ConfigException(destination.LocationOf("schema"),
                    $"'schema' is '{written}', which is not a warehouse schema name (lower-case letters, digits and '_', at most 63 bytes, not pg_*)",
                    $"write 'schema: {schema}'");
            }
        }

        var maxColumns = destination.GetInt("max_columns", MinMaxColumns, WarehouseColumnBudget.PostgresLimit) ?? DefaultMaxColumns;
        destination.RejectUnknownKeys(["connection"]);
        return new WarehouseDestinationOptions { Schema = schema, Location = destination.Location, MaxColumns = maxColumns };
    }
}
