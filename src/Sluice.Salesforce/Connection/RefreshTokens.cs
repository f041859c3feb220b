using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;

namespace Sluice.Salesforce.Connection;

/// <summary>
/// The refresh token a connection sends: the configured <c>auth.refresh_token</c>, or the one Salesforce rotated it to.
/// A connected app with refresh token rotation answers each refresh with a new token and invalidates the one sent, so
/// the new one is kept in the state store, encrypted like <c>sluice secrets</c> (<see cref="IConnectionCredentials"/>),
/// and the next process starts from it. What is stored also names (by a hash, inside the encrypted value) the configured
/// token it descends from: when the operator issues a new token and changes the config, the stored one is ignored.
/// </summary>
internal sealed class RefreshTokens(SalesforceConnectionOptions options, IConnectionCredentials? credentials)
{
    /// <summary>The credential's name under the connection.</summary>
    public const string CredentialName = "refresh_token";

    private Secret? _current;

    private Secret Configured => options.Auth.RefreshToken!;

    /// <summary>The token to send: the one this process last got, else the stored one descending from the configured, else the configured.</summary>
    public async Task<Secret> CurrentAsync(CancellationToken ct) => _current ??= await StoredAsync(ct) ?? Configured;

    /// <summary>After <paramref name="refused"/> was refused: the stored token when it is another one (another process rotated it), else null.</summary>
    public async Task<Secret?> StoredAfterRefusalAsync(Secret refused, CancellationToken ct)
    {
        if (await StoredAsync(ct) is not { } stored || stored.Reveal() == refused.Reveal())
        {
            return null;
        }

        _current = stored;
        return stored;
    }

    /// <summary>Salesforce answered with <paramref name="next"/>: this process uses it from now on, and it is stored for the next.</summary>
    public async Task RotatedAsync(Secret next, CancellationToken ct)
    {
        _current = next;
        if (credentials is not null)
        {
            var value = JsonSerializer.Serialize(new Dictionary<string, string> { ["replaces"] = Fingerprint(Configured), [CredentialName] = next.Reveal() });
            await credentials.SaveAsync(options.Name, CredentialName, value, ct);
        }
    }

    private async Task<Secret?> StoredAsync(CancellationToken ct)
    {
        if (credentials is null || await credentials.FindAsync(options.Name, CredentialName, ct) is not { } text)
        {
            return null;
        }

        try
        {
            var stored = JsonSerializer.Deserialize<Dictionary<string, string>>(text);
            return stored is not null && stored.GetValueOrDefault("replaces") == Fingerprint(Configured) && stored.GetValueOrDefault(CredentialName) is { Length: > 0 } token
                ? new Secret(token)
                : null;
        }
        catch (JsonException)
        {
            return null; // not written by this version: the configured token is the way in
        }
    }

    /// <summary>SHA-256 of the configured token: tells whether a stored token descends from it, and reveals nothing usable of it.</summary>
    private static string Fingerprint(Secret token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token.Reveal())));
}
