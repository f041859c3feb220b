using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Engine;
using Sluice.State.Ingest.Http;

namespace Sluice.State.Ingest;

/// <summary>
/// <c>type: ingest</c>: events sent to Sluice's ingest API with the connection's write key, read back from the
/// ingest queue in the state store. Only a source: syncs read it with <c>source: {connection: web}</c>. It receives
/// the events itself: it contributes the ingest API's routes to the server (<see cref="IHttpIngress"/>).
/// </summary>
/// <param name="state">Opens (and migrates) the state store, where the queue lives; called on first read.</param>
/// <param name="queue">The host's ingest queue, which the API writes to; opened on first use. Null: no API (<see cref="Routes"/> refuses).</param>
public sealed class IngestConnector(
    Func<CancellationToken, Task<(NpgsqlDataSource DataSource, string Schema)>> state,
    Func<CancellationToken, Task<IIngestQueue>>? queue = null) : IConnector, IHttpIngress, IBacklogReporting
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

    /// <summary>Every sync reading an ingest source has a backlog: the queued events after its checkpoint.</summary>
    public bool HasBacklog(SyncConfig sync, ConnectionConfig connection) => true;

    /// <summary>The ingest API, when the config declares ingest sources; validates their write keys (each its own).</summary>
    public IReadOnlyList<HttpRoute> Routes(SluiceConfig config, HttpIngressContext context)
    {
        var sources = IngestApiOptions.SourcesOf(config);
        if (sources.Count == 0)
        {
            return [];
        }

        return IngestApi.Routes(new IngestApiOptions
        {
            Sources = sources,
            Queue = queue ?? throw new InvalidOperationException("This ingest connector was made without a queue, so it cannot serve the ingest API."),
            Time = context.Time,
            Log = context.Log,
        });
    }

    /// <summary>Opens the queue now rather than on the first request: opening also prunes it by each source's retention.</summary>
    public async Task OpenAsync(SluiceConfig config, CancellationToken ct)
    {
        if (queue is not null)
        {
            await queue(ct);
        }
    }

    private static IngestConnectionOptions Options(ConnectionConfig connection, ConnectorResources resources) =>
        resources.GetOrCreate(connection.Name, () => IngestConnectionOptions.Bind(connection));
}
