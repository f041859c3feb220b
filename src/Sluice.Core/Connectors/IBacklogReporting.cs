using Sluice.Core.Configuration;

namespace Sluice.Core.Connectors;

/// <summary>
/// Optional capability of an <see cref="IConnector"/> whose sources read a queue Sluice keeps in its state store (the
/// ingest queue): <c>sluice status</c>, <c>/metrics</c> and the dashboard ask it which syncs have such a backlog and
/// show the backlog the state store counts, without knowing the connector's type.
/// </summary>
public interface IBacklogReporting
{
    /// <summary>Whether <paramref name="sync"/>, reading <paramref name="connection"/> (one of this connector's), has a queued backlog to show.</summary>
    bool HasBacklog(SyncConfig sync, ConnectionConfig connection);
}
