using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Engine;

namespace Sluice.State.Ingest;

/// <summary>
/// <c>type: ingest</c>: events sent to Sluice's ingest API with the connection's write key, read back from the
/// ingest queue in the state store. Only a source: syncs read it with <c>source: {connection: web}</c>.
/// </summary>
/// <param name="state">Opens (and migrates) the state store, where the queue lives; called on first read.</param>
public sealed class IngestConnector(Func<CancellationToken, Task<(NpgsqlDataSource DataSource, string Schema)>> state) : IConnector
{
    public const string ConnectorType = "ingest";

    public string Type => ConnectorType;

    public Task CheckConnectionAsync(ConnectionConfig connection, ConnectorResources resources, CancellationToken ct)
    {
        // Its only system is the state store, which `sluice check` checks on its own line.
        Options(connection, resources);
        return Task.CompletedTask;
    }

    public ISource CreateSource(SyncConfig sync, ConnectionConfig connection, ConnectorResources resources)
    {
        Options(connection, resources);
        sync.Source.RejectUnknownKeys(["connection"]);
        return new IngestQueueSource(state, connection.Name, time: resources.Time);
    }

    public IDestination CreateDestination(SyncConfig sync, ConnectionConfig connection, ConnectorResources resources) =>
        throw new ConfigException(sync.Destination.LocationOf("connection"),
            $"connection '{connection.Name}' is an ingest source, which cannot be a destination",
            "send to a Segment or PostgreSQL connection; an ingest source only receives events through the ingest API");

    public RateLimitOptions RateLimit(ConnectionConfig connection) => new();

    private static IngestConnectionOptions Options(ConnectionConfig connection, ConnectorResources resources) =>
        resources.GetOrCreate(connection.Name, () => IngestConnectionOptions.Bind(connection));
}
