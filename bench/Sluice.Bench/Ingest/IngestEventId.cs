using System.Security.Cryptography;
using System.Text;

namespace Sluice.Bench.Ingest;

/// <summary>
/// The <c>event_id</c> the ingest API gives a Segment call, computed the way <c>Sluice.Server</c>'s (internal)
/// <c>IngestEventIds.Derive</c> does: version-8 UUID of SHA-256("segment\0source\0messageId"). The bench looks rows up
/// by it; should the two ever differ, the warm-up notices (<see cref="LandingWatch.ProbeTrusted"/>) and the bench
/// counts rows instead, so a drift costs precision, not correctness.
/// </summary>
internal static class IngestEventId
{
    public static Guid Of(string source, Guid messageId)
    {
        var name = Encoding.UTF8.GetBytes("segment\0" + source + "\0" + messageId.ToString("D"));
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(name, hash);
        var uuid = hash[..16];
        uuid[6] = (byte)((uuid[6] & 0x0F) | 0x80);
        uuid[8] = (byte)((uuid[8] & 0x3F) | 0x80);
        return new Guid(uuid, bigEndian: true);
    }
}
