using Microsoft.Extensions.Logging;
using Sluice.Core.Configuration;

namespace Sluice.Postgres.Ingest.Http;

/// <summary>What the ingest API (<see cref="IngestApi.Routes"/>) needs: who may send, and where events go.</summary>
public sealed class IngestApiOptions
{
    /// <summary>The <c>type: ingest</c> connections; a request's write key picks one. Must not be empty.</summary>
    public required IReadOnlyList<IngestConnectionOptions> Sources { get; init; }

    /// <summary>The durable queue, opened on first use (the state database may not be reachable at start).</summary>
    public required Func<CancellationToken, Task<IIngestQueue>> Queue { get; init; }

    /// <summary>Stamps <c>receivedAt</c>. Default: the system clock.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Ids of envelope events without an <c>idempotencyKey</c>. Default: random (v4) UUIDs.</summary>
    public Func<Guid> NewId { get; init; } = Guid.NewGuid;

    /// <summary>Where failures to store events are reported (never with keys or payloads). Null: not reported.</summary>
    public ILogger? Log { get; init; }

    /// <summary>The ingest sources declared in <paramref name="config"/> (<c>type: ingest</c>), validated.</summary>
    public static IReadOnlyList<IngestConnectionOptions> SourcesOf(SluiceConfig config)
    {
        var sources = new List<IngestConnectionOptions>();
        foreach (var connection in config.Connections.Where(c => c.Type == IngestConnector.ConnectorType))
        {
            var source = IngestConnectionOptions.Bind(connection);

            // A write key is the only thing that tells sources apart: a shared one would file events under either.
            if (sources.FirstOrDefault(s => s.WriteKey.Reveal() == source.WriteKey.Reveal()) is { } twin)
            {
                throw new ConfigException(
                    connection.Settings.LocationOf("write_key"),
                    $"ingest sources '{twin.Name}' and '{source.Name}' have the same write_key",
                    "give each ingest source its own write key");
            }

            sources.Add(source);
        }

        return sources;
    }
}
