using System.Security.Cryptography;
using System.Text;

namespace Sluice.Postgres.Ingest.Http;

/// <summary>
/// Write key → ingest source. Keys are compared as SHA-256 digests in constant time, and every key is compared
/// on every lookup, so response timing says nothing about how much of a guess was right.
/// </summary>
internal sealed class WriteKeyDirectory
{
    private readonly (byte[] Digest, string Source)[] _keys;

    public WriteKeyDirectory(IEnumerable<IngestConnectionOptions> sources) =>
        _keys = [.. sources.Select(s => (Digest(s.WriteKey.Reveal()), s.Name))];

    /// <summary>The source whose write key this is; null for no key or an unknown one.</summary>
    public string? SourceOf(string? writeKey)
    {
        if (string.IsNullOrEmpty(writeKey))
        {
            return null;
        }

        var digest = Digest(writeKey);
        string? found = null;
        foreach (var (known, source) in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(digest, known))
            {
                found ??= source;
            }
        }

        return found;
    }

    private static byte[] Digest(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
