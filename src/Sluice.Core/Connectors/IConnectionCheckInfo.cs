using Sluice.Core.Configuration;

namespace Sluice.Core.Connectors;

/// <summary>
/// A connector whose connection check has something worth telling besides "it answers" (a Salesforce org's remaining
/// daily API requests): <c>sluice check</c> prints the lines under the connection's line.
/// </summary>
public interface IConnectionCheckInfo
{
    /// <summary>Checks the connection as <see cref="IConnector.CheckConnectionAsync"/> does, and returns lines of information.</summary>
    Task<IReadOnlyList<string>> CheckConnectionWithInfoAsync(ConnectionConfig connection, ConnectorResources resources, CancellationToken ct);
}
