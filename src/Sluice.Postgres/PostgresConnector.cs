using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Engine;
using Sluice.Postgres.Cdc;
using Sluice.Postgres.Sources;

namespace Sluice.Postgres;

/// <summary><c>type: postgres</c>: a PostgreSQL database as a source (a table read by cursor, a query or table diffed by key, or a model).</summary>
public sealed class PostgresConnector : IConnector, IHealthReporting, IWriteBackConnector, IPrunableResources, IConnectionAdvice, IReferenceLookups, ILookupConnector
{
    /// <summary>The <c>type:</c> of PostgreSQL connections.</summary>
    public const string ConnectorType = "postgres";

    public string Type => ConnectorType;

    /// <inheritdoc/>
    public IReadOnlyList<HealthMetric> HealthMetrics => SlotHealthReporter.Metrics;

    /// <inheritdoc/>
    public IReadOnlyList<string> AdviseConnection(ConnectionConfig connection) =>
        PostgresConnectionOptions.Bind(connection).TransportAdvice() is { } advice ? [advice] : [];

    public async Task CheckConnectionAsync(ConnectionConfig connection, ConnectorResources resources, CancellationToken ct)
    {
        var (options, dataSource) = Open(connection, resources);
        await PostgresCall.RunAsync(PostgresCallContext.Connection(options.Describe()), async () =>
        {
            await using var open = await dataSource.OpenConnectionAsync(ct);
            await using var command = new NpgsqlCommand("SELECT 1", open);
            await command.ExecuteScalarAsync(ct);
        });
    }

    public ISource CreateSource(SyncConfig sync, ConnectionConfig connection, ConnectorResources resources)
    {
        var (options, dataSource) = Open(connection, resources);
        var source = sync.Source;
        if (Sources.Models.ModelSourceOptions.IsRequested(source) && CdcSourceOptions.IsRequested(source))
        {
            return new Sources.Models.ModelCdcSource(dataSource, options, Sources.Models.ModelSourceOptions.Bind(sync), resources.Time);
        }

        if (CdcSourceOptions.IsRequested(source))
        {
            return PollingFallbackSource.Create(sync, dataSource, options, () => new CdcSource(dataSource, options, CdcSourceOptions.Bind(sync), resources.Time));
        }

        if (Sources.Models.ModelSourceOptions.IsRequested(source))
        {
            return new Sources.Models.ModelSource(dataSource, options, Sources.Models.ModelSourceOptions.Bind(sync), resources.Time);
        }

        if (!source.Has("table") && !source.Has("query"))
        {
            throw new ConfigException(source.LocationOf("table"), "the source names no table and no query",
                "read a table by cursor ('table: public.users' and 'cursor: updated_at'), diff a query ('query: SELECT …' and 'key: [id]') or a table ('table:' without 'cursor:'), or build records from a model ('model: {table: …, properties: …}')");
        }

        // A cursor means incremental reads of a table; without one, the source is read whole and diffed.
        return source.Has("cursor") && !source.Has("query")
            ? new TableSource(dataSource, options, TableSourceOptions.Bind(source))
            : new QuerySource(dataSource, options, QuerySourceOptions.Bind(source));
    }

    public IDestination CreateDestination(SyncConfig sync, ConnectionConfig connection, ConnectorResources resources)
    {
        var (options, dataSource) = Open(connection, resources);
        var destination = sync.Destination;
        if (Destinations.Records.RecordsDestinationOptions.IsRequested(destination))
        {
            // A 'key:' (or 'layout: records') exports records, one row per key (docs/records.md).
            return new Destinations.Records.RecordsDestination(sync.Name, dataSource, options, Destinations.Records.RecordsDestinationOptions.Bind(sync, options));
        }

        var layout = destination.GetString("layout")?.Trim().ToLowerInvariant() ?? (destination.Has("table") ? "events" : null);
        return layout switch
        {
            "events" => new Destinations.EventsTableDestination(sync.Name, dataSource, options, Destinations.EventsTableOptions.Bind(sync, options)),
            "warehouse" => new Destinations.Warehouse.WarehouseDestination(dataSource, options, Destinations.Warehouse.WarehouseDestinationOptions.Bind(sync)),
            "engage" => new Destinations.Engage.EngageDestination(dataSource, options, Destinations.Engage.EngageTablesOptions.Bind(sync, options)),
            null => throw new ConfigException(destination.Location, $"connection '{connection.Name}' is PostgreSQL: the destination names no table and no layout",
                "write events into one table ('table: public.events'), export records by key ('table: public.customers' and 'key: id'), or load a Segment-style warehouse ('layout: warehouse')"),
            _ => throw new ConfigException(destination.LocationOf("layout"), $"unknown layout {destination.Show("layout")}",
                "use 'layout: events' (one table, 'table:' names it), 'layout: records' (rows by 'key:'), 'layout: warehouse' (Segment's warehouse schema) or 'layout: engage' (Segment Engage audiences and traits from a type: engage webhook)"),
        };
    }

    public RateLimitOptions RateLimit(ConnectionConfig connection) => new();

    /// <summary>The ids a sync's destination gives its records, written back to a column of the source's table (<c>write_back:</c>).</summary>
    public Core.Engine.WriteBack.IWriteBack CreateWriteBack(SyncConfig sync, ConnectionConfig connection, Core.Engine.WriteBack.WriteBackOptions options, ConnectorResources resources)
    {
        var (connectionOptions, dataSource) = Open(connection, resources);
        return new WriteBack.PostgresWriteBack(dataSource, connectionOptions, WriteBack.WriteBackTarget.For(sync, options));
    }

    /// <summary>A sync's <c>lookup:</c> in this database: one query per batch (<see cref="Processors.PostgresLookupProcessor"/>).</summary>
    public Core.Engine.Processing.IRecordProcessor CreateLookup(SyncConfig sync, ConfigSection lookup, ConnectionConfig connection, ConnectorResources resources)
    {
        var options = Processors.PostgresLookupOptions.Bind(lookup);
        var (_, dataSource) = Open(connection, resources);
        return new Processors.PostgresLookupProcessor(dataSource, options);
    }

    /// <summary>A <c>validate:</c> rule's lookup in a table of this connection (<see cref="Validation.PostgresReferenceLookup"/>).</summary>
    public Core.Engine.Processing.IRecordLookup CreateReferenceLookup(ConnectionConfig connection, Core.Engine.Processing.Validation.ReferenceColumn column, ConnectorResources resources)
    {
        var (options, dataSource) = Open(connection, resources);
        return new Validation.PostgresReferenceLookup(dataSource, options, column);
    }

    /// <summary>Each CDC sync's replication slot and every Sluice slot or publication no sync claims.</summary>
    public Task<HealthReading> ReadHealthAsync(HealthRequest request, ConnectorResources resources, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(resources);
        return SlotHealthReporter.ReadAsync(request, resources, ct);
    }

    /// <summary>Every Sluice slot and publication no CDC sync of the config claims, in every database the config connects to.</summary>
    public async Task<PrunableScan> FindPrunableAsync(SluiceConfig config, ConnectorResources resources, CancellationToken ct)
    {
        var (orphans, problems) = await CdcOrphans.FindAsync(config, resources, ct);
        return new PrunableScan([.. orphans.Select(o => new PrunableResource(o.Connection, KindOf(o.Orphan.Kind), o.Orphan.Name, o.Orphan.Describe()))], problems);
    }

    /// <summary>Drops one orphaned slot or publication; a slot a reader is attached to only with <paramref name="force"/>.</summary>
    public async Task<PruneResult> PruneAsync(SluiceConfig config, PrunableResource resource, bool force, ConnectorResources resources, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var kind = resource.Kind == KindOf(SlotPruner.OrphanKind.Slot) ? SlotPruner.OrphanKind.Slot : SlotPruner.OrphanKind.Publication;
        // Dropping looks the slot's reader up again, so only the kind and the name matter here.
        var orphan = new OrphanedCdcObject(resource.Connection, new SlotPruner.Orphan(kind, resource.Name, false, null, null));
        var outcome = await CdcOrphans.DropAsync(config, orphan, force, resources, ct);
        return new PruneResult(outcome.Dropped, outcome.Problem);
    }

    private static string KindOf(SlotPruner.OrphanKind kind) => kind == SlotPruner.OrphanKind.Slot ? "slot" : "publication";

    /// <summary>The connection's options and its shared, pooled data source.</summary>
    public static (PostgresConnectionOptions Options, NpgsqlDataSource DataSource) Open(ConnectionConfig connection, ConnectorResources resources)
    {
        var options = resources.GetOrCreate(connection.Name, () => PostgresConnectionOptions.Bind(connection));
        return (options, resources.GetOrCreate(connection.Name, () => options.CreateDataSource(resources.Time)));
    }
}
