using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Engine;
using Sluice.State.Ingest.Http;

namespace Sluice.State.Ingest;

/// <summary>
/// A connector whose events arrive over HTTP at <c>sluice run</c> (<see cref="IHttpIngress"/>) and wait in the ingest
/// queue in the state store under the connection's name, to be read back as a streaming source: never a destination,
/// no rate budget of its own, always a backlog. <see cref="IngestConnector"/> (the ingest API) and
/// <see cref="Engage.EngageConnector"/> (Segment Engage's webhook) differ only in their routes and their options.
/// </summary>
/// <param name="state">Opens (and migrates) the state store, where the queue lives; called on first read.</param>
/// <param name="queue">The host's ingest queue, which the routes write to; opened on first use. Null: no routes (<see cref="Routes"/> refuses).</param>
public abstract class QueueBackedConnector(
    Func<CancellationToken, Task<(NpgsqlDataSource DataSource, string Schema)>> state,
    Func<CancellationToken, Task<IIngestQueue>>? queue) : IConnector, IHttpIngress, IBacklogReporting
{
    public abstract string Type { get; }

    public Task CheckConnectionAsync(ConnectionConfig connection, ConnectorResources resources, CancellationToken ct)
    {
        // Its only system is the state store, which `sluice check` checks on its own line.
        Validate(connection, resources);
        return Task.CompletedTask;
    }

    public ISource CreateSource(SyncConfig sync, ConnectionConfig connection, ConnectorResources resources)
    {
        Validate(connection, resources);
        sync.Source.RejectUnknownKeys(["connection"]);
        return new IngestQueueSource(state, connection.Name, time: resources.Time);
    }

    public IDestination CreateDestination(SyncConfig sync, ConnectionConfig connection, ConnectorResources resources) =>
        throw new ConfigException(sync.Destination.LocationOf("connection"), $"connection '{connection.Name}' is {What}, which cannot be a destination", DestinationFix(connection));

    public RateLimitOptions RateLimit(ConnectionConfig connection) => new();

    /// <summary>Every sync reading the queue has a backlog: the queued events after its checkpoint.</summary>
    public bool HasBacklog(SyncConfig sync, ConnectionConfig connection) => true;

    public abstract IReadOnlyList<HttpRoute> Routes(SluiceConfig config, HttpIngressContext context);

    /// <summary>Opens the queue now rather than on the first request: opening also prunes it by each source's retention.</summary>
    public async Task OpenAsync(SluiceConfig config, CancellationToken ct)
    {
        if (queue is not null)
        {
            await queue(ct);
        }
    }

    /// <summary>What a connection of this type is, for messages: <c>an ingest source</c>.</summary>
    protected abstract string What { get; }

    /// <summary>The fix to suggest when a sync names such a connection as its destination.</summary>
    protected abstract string DestinationFix(ConnectionConfig connection);

    /// <summary>Binds (and so validates) the connection's options; refuses a bad one with a config error.</summary>
    protected abstract void Validate(ConnectionConfig connection, ConnectorResources resources);

    /// <summary>The options the routes write events with; refuses when the connector was made without a queue.</summary>
    protected IngestApiOptions Sink(IReadOnlyList<IngestConnectionOptions> sources, HttpIngressContext context) => new()
    {
        Sources = sources,
        Queue = queue ?? throw new InvalidOperationException($"This {Type} connector was made without a queue, so it cannot serve {What}'s requests."),
        Time = context.Time,
        Log = context.Log,
    };
}
