namespace Sluice.Core.Connectors;

/// <summary>
/// Credentials a connection is handed by its system while it runs and must keep across processes (a refresh token that
/// Salesforce rotates on each use): kept encrypted in the state store beside the secrets of <c>sluice secrets</c>
/// (docs/secrets.md), never printed.
/// </summary>
public interface IConnectionCredentials
{
    /// <summary>The value last saved under <paramref name="name"/> for <paramref name="connection"/>; null when none is.</summary>
    Task<string?> FindAsync(string connection, string name, CancellationToken ct);

    /// <summary>Saves <paramref name="value"/> (replacing any before it); an error when it cannot be kept encrypted.</summary>
    Task SaveAsync(string connection, string name, string value, CancellationToken ct);
}
