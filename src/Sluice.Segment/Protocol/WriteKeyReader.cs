using System.Text;

namespace Sluice.Segment.Protocol;

/// <summary>The write key of HTTP Basic auth: user = write key, password empty (http-api "Basic authentication").</summary>
public static class WriteKeyReader
{
    /// <summary>The key from <c>Authorization: Basic …</c>, or null for no header, another scheme or a malformed value.</summary>
    public static string? FromAuthorization(string? authorization)
    {
        const string Scheme = "Basic ";
        if (authorization is null || !authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            // OAuth ("Bearer") carries the write key in the payload instead.
            return null;
        }

        var encoded = authorization.AsSpan(Scheme.Length).Trim();
        var decoded = encoded.Length <= 512 ? stackalloc byte[encoded.Length] : new byte[encoded.Length];
        if (!Convert.TryFromBase64Chars(encoded, decoded, out var written))
        {
            return null;
        }

        // "Include a colon before encoding. ... without a colon might work due to backward compatibility."
        var user = decoded[..written];
        var colon = user.IndexOf((byte)':');
        var key = colon < 0 ? user : user[..colon];
        return key.IsEmpty ? null : Encoding.UTF8.GetString(key);
    }
}
