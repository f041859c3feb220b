using Sluice.Core.Configuration;

namespace Sluice.Postgres.Ingest;

/// <summary>
/// How long the queue keeps one ingest source's events, and which syncs read them (so that retention can say how
/// many of the events it dropped a sync had not read yet).
/// </summary>
/// <param name="Source">The <c>type: ingest</c> connection's name.</param>
/// <param name="Retention">Events received longer ago than this are dropped, read or not.</param>
/// <param name="Readers">The names of the syncs whose source is this connection.</param>
public sealed record IngestRetention(string Source, TimeSpan Retention, IReadOnlyList<string> Readers)
{
    /// <summary>One entry per <c>type: ingest</c> connection of the config.</summary>
    public static IReadOnlyList<IngestRetention> FromConfig(SluiceConfig config) =>
        config.Connections
            .Where(c => c.Type == IngestConnector.ConnectorType)
            .Select(c => new IngestRetention(
                c.Name,
                IngestConnectionOptions.Bind(c).Retention,
                config.Syncs.Where(s => s.SourceConnection == c.Name).Select(s => s.Name).ToList()))
            .ToList();
}
