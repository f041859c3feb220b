using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Sluice.Postgres.Ingest.Http;

/// <summary>
/// Deterministic event ids: a name-based UUID (RFC 9562 version 8, SHA-256 of kind, source and key) so that a
/// replayed Segment batch or envelope gets the ids it got the first time, and destinations can deduplicate.
/// </summary>
internal static class IngestEventIds
{
    /// <param name="kind">The event kind, so a Segment <c>messageId</c> and an envelope <c>idempotencyKey</c> never collide.</param>
    /// <param name="source">The ingest source: ids are scoped to it, like the queue's rows.</param>
    /// <param name="key">The <c>messageId</c> or the <c>idempotencyKey</c>.</param>
    public static Guid Derive(string kind, string source, string key)
    {
        // kind NUL source NUL key as UTF-8, without the intermediate strings (this runs once per accepted event).
        var most = Encoding.UTF8.GetMaxByteCount(kind.Length + source.Length + key.Length + 2);
        var rented = most > 512 ? ArrayPool<byte>.Shared.Rent(most) : null;
        Span<byte> name = rented is null ? stackalloc byte[512] : rented;
        var length = Encoding.UTF8.GetBytes(kind, name);
        name[length++] = 0;
        length += Encoding.UTF8.GetBytes(source, name[length..]);
        name[length++] = 0;
        length += Encoding.UTF8.GetBytes(key, name[length..]);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(name[..length], hash);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }

        var uuid = hash[..16];
        uuid[6] = (byte)((uuid[6] & 0x0F) | 0x80); // version 8
        uuid[8] = (byte)((uuid[8] & 0x3F) | 0x80); // RFC 9562 variant
        return new Guid(uuid, bigEndian: true);
    }
}
