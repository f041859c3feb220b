using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Sluice.Emulators.Salesforce.Internal;

/// <summary>
/// Access tokens by value. Each expires on its own after the TTL: a client that logs in again gets a fresh
/// token that works at once (jsforce re-logs in on 401 and would loop forever if new tokens failed too).
/// </summary>
internal sealed class TokenStore(string organizationId, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, IssuedToken> _tokens = new(StringComparer.Ordinal);

    public TimeSpan Ttl { get; set; }

    public IssuedToken Issue(string userId, string clientId)
    {
        var now = time.GetUtcNow();
        // Salesforce's session ids start with the org id (15 characters) and '!'.
        var token = organizationId[..15] + "!" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(72)).Replace('+', '.').Replace('/', '_').TrimEnd('=');
        var issued = new IssuedToken(token, userId, clientId, now, now + Ttl);
        _tokens[token] = issued;
        return issued;
    }

    /// <summary>The live session of a bearer token, or null when unknown, revoked or expired.</summary>
    public IssuedToken? Validate(string? token)
    {
        if (token is null || !_tokens.TryGetValue(token, out var issued))
        {
            return null;
        }

        return issued.ExpiresAt > time.GetUtcNow() ? issued : null;
    }

    public bool Revoke(string token) => _tokens.TryRemove(token, out _);

    /// <summary>Makes every token issued so far expire now (new logins still work).</summary>
    public int ExpireAll()
    {
        var now = time.GetUtcNow();
        var count = 0;
        foreach (var (key, token) in _tokens)
        {
            if (token.ExpiresAt > now)
            {
                _tokens[key] = token with { ExpiresAt = now };
                count++;
            }
        }

        return count;
    }

    public void Clear() => _tokens.Clear();
}
