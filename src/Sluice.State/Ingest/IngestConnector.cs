using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.State.Ingest.Http;

namespace Sluice.State.Ingest;

/// <summary>
/// <c>type: ingest</c>: events sent to Sluice's ingest API with the connection's write key, read back from the
/// ingest queue in the state store. Only a source: syncs read it with <c>source: {connection: web}</c>. It receives
/// the events itself: it contributes the ingest API's routes to the server (<see cref="IHttpIngress"/>).
/// </summary>
/// <remarks>Its constructor's parameters are <see cref="QueueBackedConnector"/>'s.</remarks>
public sealed class IngestConnector(
    Func<CancellationToken, Task<(NpgsqlDataSource DataSource, string Schema)>> state,
    Func<CancellationToken, Task<IIngestQueue>>? queue = null) : QueueBackedConnector(state, queue)
{
    public const string ConnectorType = "ingest";

    public override string Type => ConnectorType;

    protected override string What => "an ingest source";

    /// <summary>The ingest API, when the config declares ingest sources; validates their write keys (each its own).</summary>
    public override IReadOnlyList<HttpRoute> Routes(SluiceConfig config, HttpIngressContext context)
    {
        var sources = IngestApiOptions.SourcesOf(config);
        return sources.Count == 0 ? [] : IngestApi.Routes(Sink(sources, context));
    }

    protected override string DestinationFix(ConnectionConfig connection) =>
        "send to a Segment or PostgreSQL connection; an ingest source only receives events through the ingest API";

    protected override void Validate(ConnectionConfig connection, ConnectorResources resources) =>
        resources.GetOrCreate(connection.Name, () => IngestConnectionOptions.Bind(connection));
}
