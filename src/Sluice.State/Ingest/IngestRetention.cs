using Sluice.Core.Configuration;

namespace Sluice.State.Ingest;

/// <summary>
/// How long the queue keeps one ingest source's events, which syncs read them (an event is kept until every one of
/// them has read it), and how many events the source may hold at most.
/// </summary>
/// <param name="Source">The <c>type: ingest</c> connection's name.</param>
/// <param name="Retention">Events received longer ago than this are dropped once every reader has read them.</param>
/// <param name="Readers">
/// The names of the syncs of the loaded config whose source is this connection. Only they hold events back: a sync
/// removed from the config does not (its checkpoint stays in the state store, but nothing will read for it again).
/// </param>
/// <param name="MaxBacklog">
/// At most this many events are kept (<c>max_backlog:</c>); past it the oldest are dropped, read or not, and each
/// unread one is counted as lost for each reader that had not read it. Null (the default): no cap.
/// </param>
public sealed record IngestRetention(string Source, TimeSpan Retention, IReadOnlyList<string> Readers, long? MaxBacklog = null)
{
    /// <summary>One entry per <c>type: ingest</c> and <c>type: engage</c> connection of the config.</summary>
    public static IReadOnlyList<IngestRetention> FromConfig(SluiceConfig config) =>
        config.Connections
            .Where(c => c.Type is IngestConnector.ConnectorType or Engage.EngageConnector.ConnectorType)
            .Select(c =>
            {
                // An Engage webhook's deliveries share the queue, so they share its retention (no max_backlog).
                var (retention, maxBacklog) = c.Type == IngestConnector.ConnectorType
                    ? IngestConnectionOptions.Bind(c) is var options ? (options.Retention, options.MaxBacklog) : default
                    : (Engage.EngageConnectionOptions.Bind(c).Retention, (long?)null);
                return new IngestRetention(
                    c.Name,
                    retention,
                    config.Syncs.Where(s => s.SourceConnection == c.Name).Select(s => s.Name).ToList(),
                    maxBacklog);
            })
            .ToList();
}
