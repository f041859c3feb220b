using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Sluice.Core.Configuration;

namespace Sluice.Server.Access;

/// <summary>
/// <c>server.admin_token</c> and the browser session made from it. The session cookie is not the token: it is
/// <c>v1.{expiry}.{HMAC-SHA256(token, expiry)}</c>, so that it ends, says nothing about the token, is honoured by every
/// process with the same token, and stops working when the token is changed. Comparisons take constant time.
/// </summary>
internal sealed class AdminToken(Secret token, TimeProvider time)
{
    public const string CookieName = "sluice_admin";

    /// <summary>How long a login lasts.</summary>
    public static readonly TimeSpan SessionLifetime = TimeSpan.FromHours(12);

    private readonly byte[] _token = Encoding.UTF8.GetBytes(token.Reveal());

    public bool Matches(string? candidate) =>
        candidate is not null && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(candidate)), SHA256.HashData(_token));

    public string NewSession()
    {
        var expires = (time.GetUtcNow() + SessionLifetime).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return $"v1.{expires}.{Sign(expires)}";
    }

    public bool IsSession(string? cookie)
    {
        var parts = cookie?.Split('.');
        if (parts is not ["v1", var expires, var signature]
            || !long.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out var until)
            || DateTimeOffset.FromUnixTimeSeconds(Math.Min(until, 253402300799)) <= time.GetUtcNow())
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(signature), Encoding.ASCII.GetBytes(Sign(expires)));
    }

    private string Sign(string expires) =>
        Convert.ToBase64String(HMACSHA256.HashData(_token, Encoding.ASCII.GetBytes("sluice-admin-session:" + expires))).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
