using Sluice.Core.Configuration;

namespace Sluice.Core.Connectors;

/// <summary>
/// A connector that can tell, from a connection's settings alone, that it works but deserves a look (a PostgreSQL
/// connection beyond this machine that allows plaintext): <c>sluice check</c> prints each line as a warning.
/// </summary>
public interface IConnectionAdvice
{
    /// <summary>Warnings about <paramref name="connection"/>'s settings; empty when there is nothing to say. Never connects.</summary>
    IReadOnlyList<string> AdviseConnection(ConnectionConfig connection);
}
