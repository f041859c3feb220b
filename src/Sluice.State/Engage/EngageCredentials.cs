using System.Security.Cryptography;
using System.Text;

namespace Sluice.State.Engage;

/// <summary>
/// Checks who sent a delivery. Segment's webhook destinations sign each request with the shared secret: "Segment will
/// sign requests with an HMAC in the X-Signature request header. The HMAC is a hex-encoded SHA1 hash generated using
/// the shared secret and the request body" (segment.com/docs/connections/destinations/catalog/actions-webhook,
/// "Shared Secret"; the classic Webhooks destination does the same). Basic auth is the alternative. Every comparison
/// takes the same time whatever the bytes, so a sender learns nothing from how long a refusal took.
/// </summary>
internal sealed class EngageCredentials(EngageConnectionOptions options)
{
    public const string SignatureHeader = "X-Signature";

    private readonly byte[]? _secret = options.SharedSecret is null ? null : Encoding.UTF8.GetBytes(options.SharedSecret.Reveal());
    private readonly byte[]? _basic = options.Username is null ? null : Encoding.UTF8.GetBytes($"{options.Username}:{options.Password!.Reveal()}");

    /// <summary>Null when the request is authentic; otherwise why not (safe to tell the sender: no secret in it).</summary>
    public string? Refusal(ReadOnlySpan<byte> body, string signature, string authorization)
    {
        if (_secret is not null && signature.Length > 0)
        {
            return SignatureMatches(body, signature) ? null : "the X-Signature header does not match the body signed with the shared secret";
        }

        if (_basic is not null && authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return BasicMatches(authorization.AsSpan(6).Trim()) ? null : "the Basic auth username or password is wrong";
        }

        return (_secret, _basic) switch
        {
            (not null, null) => "unsigned request: the X-Signature header (hex HMAC-SHA1 of the body with the shared secret) is missing",
            (null, not null) => "no credentials: Basic auth is required",
            _ => "unsigned request: send the X-Signature header or Basic auth",
        };
    }

    private bool SignatureMatches(ReadOnlySpan<byte> body, string signature)
    {
        Span<byte> expected = stackalloc byte[HMACSHA1.HashSizeInBytes];
        // SHA-1 is Segment's choice, not ours; as an HMAC it has no known practical forgery.
#pragma warning disable CA5350
        HMACSHA1.HashData(_secret, body, expected);
#pragma warning restore CA5350
        Span<byte> given = stackalloc byte[HMACSHA1.HashSizeInBytes];
        var text = signature.Trim();
        if (text.StartsWith("sha1=", StringComparison.OrdinalIgnoreCase))
        {
            text = text[5..];
        }

        // Parsing a wrong length or a non-hex header leaks only that it is malformed, which the sender already knows.
        if (text.Length != 2 * HMACSHA1.HashSizeInBytes || Convert.FromHexString(text, given, out _, out _) != System.Buffers.OperationStatus.Done)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(expected, given);
    }

    private bool BasicMatches(ReadOnlySpan<char> encoded)
    {
        var bytes = new byte[(encoded.Length * 3 / 4) + 3];
        if (!Convert.TryFromBase64Chars(encoded, bytes, out var length))
        {
            return false;
        }

        // FixedTimeEquals answers false at once on a length mismatch: the length of the right credentials is no secret worth keeping.
        return CryptographicOperations.FixedTimeEquals(bytes.AsSpan(0, length), _basic);
    }
}
