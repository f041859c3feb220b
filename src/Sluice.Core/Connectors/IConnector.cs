using Sluice.Core.Configuration;
using Sluice.Core.Engine;

namespace Sluice.Core.Connectors;

/// <summary>
/// Everything Sluice knows about one kind of system (<c>type: postgres</c>, <c>type: segment</c>):
/// how to check a connection, and how to make the sources and destinations of syncs that use it.
/// Adding a system means adding one of these and registering it with the host.
/// </summary>
public interface IConnector
{
    /// <summary>The <c>type:</c> of connections this connector serves.</summary>
    string Type { get; }

    /// <summary>Verifies a connection's settings and that the system answers; throws a classified error otherwise.</summary>
    Task CheckConnectionAsync(ConnectionConfig connection, ConnectorResources resources, CancellationToken ct);

    /// <summary>The sync's source on this connection; a <see cref="ConfigException"/> when this system cannot be a source.</summary>
    ISource CreateSource(SyncConfig sync, ConnectionConfig connection, ConnectorResources resources);

    /// <summary>The sync's destination on this connection; a <see cref="ConfigException"/> when this system cannot be a destination.</summary>
    IDestination CreateDestination(SyncConfig sync, ConnectionConfig connection, ConnectorResources resources);

    /// <summary>The send budget of a destination connection, shared by every sync that writes to it.</summary>
    RateLimitOptions RateLimit(ConnectionConfig connection);
}
