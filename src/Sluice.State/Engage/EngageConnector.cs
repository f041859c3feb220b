using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Engine;
using Sluice.State.Ingest;
using Sluice.State.Ingest.Http;

namespace Sluice.State.Engage;

/// <summary>
/// <c>type: engage</c>: what Segment Engage (Personas) delivers to a webhook destination — audience membership and
/// computed traits — received by <c>sluice run</c> at the connection's <c>path:</c> (<see cref="IHttpIngress"/>),
/// kept in the ingest queue under the connection's name, and read back like an ingest source. A sync to a PostgreSQL
/// connection with <c>layout: engage</c> upserts them into the application's tables (docs/segment.md, S6).
/// </summary>
/// <param name="state">Opens (and migrates) the state store, where the queue lives; called on first read.</param>
/// <param name="queue">The host's ingest queue, which the webhook writes to. Null: no webhook (<see cref="Routes"/> refuses).</param>
public sealed class EngageConnector(
    Func<CancellationToken, Task<(NpgsqlDataSource DataSource, string Schema)>> state,
    Func<CancellationToken, Task<IIngestQueue>>? queue = null) : IConnector, IHttpIngress, IBacklogReporting
{
    public const string ConnectorType = "engage";

    public string Type => ConnectorType;

    public Task CheckConnectionAsync(ConnectionConfig connection, ConnectorResources resources, CancellationToken ct)
    {
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
            $"connection '{connection.Name}' is an Engage webhook, which cannot be a destination",
            "read it into PostgreSQL: 'source: {connection: " + connection.Name + "}' and 'destination: {connection: app, layout: engage}'");

    public RateLimitOptions RateLimit(ConnectionConfig connection) => new();

    public bool HasBacklog(SyncConfig sync, ConnectionConfig connection) => true;

    public IReadOnlyList<HttpRoute> Routes(SluiceConfig config, HttpIngressContext context)
    {
        var webhooks = config.Connections.Where(c => c.Type == ConnectorType).Select(EngageConnectionOptions.Bind).ToList();
        if (webhooks.Count == 0)
        {
            return [];
        }

        var sink = new IngestApiOptions
        {
            Sources = [],
            Queue = queue ?? throw new InvalidOperationException("This engage connector was made without a queue, so it cannot serve webhooks."),
            Time = context.Time,
            Log = context.Log,
        };
        var routes = new List<HttpRoute>(webhooks.Count);
        foreach (var webhook in webhooks)
        {
            if (webhooks.First(w => w.Path == webhook.Path) is { } twin && twin != webhook)
            {
                throw new ConfigException(config.Connections.First(c => c.Name == webhook.Name).Settings.LocationOf("path"),
                    $"engage connections '{twin.Name}' and '{webhook.Name}' have the same path {webhook.Path}", "give each engage connection its own path");
            }

            routes.Add(new HttpRoute(webhook.Path, new EngageWebhook(webhook, sink).HandleAsync));
        }

        return routes;
    }

    public async Task OpenAsync(SluiceConfig config, CancellationToken ct)
    {
        if (queue is not null)
        {
            await queue(ct);
        }
    }

    private static EngageConnectionOptions Options(ConnectionConfig connection, ConnectorResources resources) =>
        resources.GetOrCreate(connection.Name, () => EngageConnectionOptions.Bind(connection));
}
