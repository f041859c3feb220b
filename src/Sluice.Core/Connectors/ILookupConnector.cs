using Sluice.Core.Configuration;
using Sluice.Core.Engine.Processing;

namespace Sluice.Core.Connectors;

/// <summary>
/// A connector that answers a sync's <c>lookup:</c>: reference data found for a batch's records by one query, added to
/// them as columns the mapping can send (PostgreSQL). A <c>lookup:</c> naming a connection without it is a config error.
/// </summary>
public interface ILookupConnector
{
    /// <summary>The processor for <paramref name="sync"/>'s <paramref name="lookup"/> section (no connection opened yet).</summary>
    IRecordProcessor CreateLookup(SyncConfig sync, ConfigSection lookup, ConnectionConfig connection, ConnectorResources resources);
}
