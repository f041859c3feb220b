using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Engine;
using Sluice.Segment.Destination;

namespace Sluice.Segment;

/// <summary><c>type: segment</c>: a Segment source's HTTP Tracking API as a destination.</summary>
public sealed class SegmentConnector : IConnector
{
    public string Type => "segment";

    public async Task CheckConnectionAsync(ConnectionConfig connection, ConnectorResources resources, CancellationToken ct)
    {
        var options = Options(connection, resources);
        await using var destination = new SegmentDestination("check", options, new SegmentDestinationOptions(), resources.Time, Http(options, resources));
        await destination.CheckAsync(ct);
    }

    public ISource CreateSource(SyncConfig sync, ConnectionConfig connection, ConnectorResources resources) =>
        throw new ConfigException(sync.Source.LocationOf("connection"),
            $"connection '{connection.Name}' is Segment, which cannot be read from",
            "read from a PostgreSQL connection; Segment events reach Sluice through its ingest API");

    public IDestination CreateDestination(SyncConfig sync, ConnectionConfig connection, ConnectorResources resources)
    {
        var options = Options(connection, resources);
        return new SegmentDestination(sync.Name, options, SegmentDestinationOptions.Bind(sync.Destination), resources.Time, Http(options, resources));
    }

    public RateLimitOptions RateLimit(ConnectionConfig connection) => SegmentConnectionOptions.Bind(connection).RateLimit;

    private static SegmentConnectionOptions Options(ConnectionConfig connection, ConnectorResources resources) =>
        resources.GetOrCreate(connection.Name, () => SegmentConnectionOptions.Bind(connection));

    private static HttpClient Http(SegmentConnectionOptions options, ConnectorResources resources) =>
        resources.GetOrCreate(options.Name, () => SegmentDestination.CreateHttpClient(options));
}
