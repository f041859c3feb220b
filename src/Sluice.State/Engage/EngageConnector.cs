using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.State.Ingest;
using Sluice.State.Ingest.Http;

namespace Sluice.State.Engage;

/// <summary>
/// <c>type: engage</c>: what Segment Engage (Personas) delivers to a webhook destination — audience membership and
/// computed traits — received by <c>sluice run</c> at the connection's <c>path:</c> (<see cref="IHttpIngress"/>),
/// kept in the ingest queue under the connection's name, and read back like an ingest source. A sync to a PostgreSQL
/// connection with <c>layout: engage</c> upserts them into the application's tables (docs/segment.md, S6).
/// </summary>
/// <remarks>Its constructor's parameters are <see cref="QueueBackedConnector"/>'s.</remarks>
public sealed class EngageConnector(
    Func<CancellationToken, Task<(NpgsqlDataSource DataSource, string Schema)>> state,
    Func<CancellationToken, Task<IIngestQueue>>? queue = null) : QueueBackedConnector(state, queue)
{
    public const string ConnectorType = "engage";

    public override string Type => ConnectorType;

    protected override string What => "an Engage webhook";

    public override IReadOnlyList<HttpRoute> Routes(SluiceConfig config, HttpIngressContext context)
    {
        var webhooks = config.Connections.Where(c => c.Type == ConnectorType).Select(EngageConnectionOptions.Bind).ToList();
        if (webhooks.Count == 0)
        {
            return [];
        }

        var sink = Sink([], context);
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

    protected override string DestinationFix(ConnectionConfig connection) =>
        "read it into PostgreSQL: 'source: {connection: " + connection.Name + "}' and 'destination: {connection: app, layout: engage}'";

    protected override void Validate(ConnectionConfig connection, ConnectorResources resources) =>
        resources.GetOrCreate(connection.Name, () => EngageConnectionOptions.Bind(connection));
}
