using Sluice.Core.Configuration;
using Sluice.Core.Engine.WriteBack;

namespace Sluice.Core.Connectors;

/// <summary>
/// A connector whose sources can take the destination's ids back (<c>write_back:</c> on a sync reading from it):
/// PostgreSQL. A sync with <c>write_back:</c> on a source connector without this capability is a config error.
/// </summary>
public interface IWriteBackConnector
{
    /// <summary>The write-back of <paramref name="sync"/>'s ids into its source connection (no connection opened yet).</summary>
    IWriteBack CreateWriteBack(SyncConfig sync, ConnectionConfig connection, WriteBackOptions options, ConnectorResources resources);
}
