using System.Buffers.Binary;
using Sluice.Postgres;
using static Sluice.Postgres.BinaryCopyFields;

namespace Sluice.State;

/// <summary>
/// A batch's record-ledger entries as one binary COPY stream into
/// <c>record_state (sync_id, record_key, fingerprint, watched_values, status, destination_id, origin, run_id, skip_reason)</c>,
/// encoded into one pooled buffer: the driver's importer took nine calls per entry, each binding a converter (measured:
/// about a tenth of a 100,000-record first sync's CPU in sluice went to the ledger's COPY that way).
/// </summary>
/// <remarks>
/// The format (PostgreSQL docs, "COPY", "Binary Format"): a header, per row an int16 field count and per field an int32
/// length (-1 for NULL) and the value in its type's binary send format — bigint as 8 bytes, text as UTF-8, bytea as is,
/// jsonb as a version byte (1) and the JSON text — then a trailer; integers big-endian. Every text has passed through
/// <see cref="StoredText"/>, so it encodes (no NUL, no lone surrogate).
/// </remarks>
internal static class RecordStateCopyRows
{
    public const string Columns = "sync_id, record_key, fingerprint, watched_values, status, destination_id, origin, run_id, skip_reason";

    private const short Fields = 9;

    /// <summary>Encodes the entries of parallel lists, one entry per index, each of <paramref name="syncId"/> and stored by <paramref name="runId"/>.</summary>
    public static BinaryCopyStream Encode(long syncId, long runId, IReadOnlyList<string> keys, IReadOnlyList<byte[]?> fingerprints, IReadOnlyList<string?> watched,
        IReadOnlyList<string?> statuses, IReadOnlyList<string?> destinationIds, IReadOnlyList<string?> origins, IReadOnlyList<string?> skipReasons)
    {
        var most = (long)Header.Length + 2;
        for (var i = 0; i < keys.Count; i++)
        {
            var chars = keys[i].Length + (watched[i]?.Length ?? 0) + (statuses[i]?.Length ?? 0) + (destinationIds[i]?.Length ?? 0) + (origins[i]?.Length ?? 0) + (skipReasons[i]?.Length ?? 0);
            most += 2 + (Fields * 4) + 8 + 8 + 1 + (fingerprints[i]?.Length ?? 0) + (long)Utf8.GetMaxByteCount(chars);
        }

        return BinaryCopyStream.Encode(most, (syncId, runId, keys, fingerprints, watched, statuses, destinationIds, origins, skipReasons), static (span, at, e) =>
        {
            for (var i = 0; i < e.keys.Count; i++)
            {
                BinaryPrimitives.WriteInt16BigEndian(span[at..], Fields);
                at = WriteBigint(span, at + 2, e.syncId);
                at = WriteText(span, at, e.keys[i]);
                at = WriteBytes(span, at, e.fingerprints[i]);
                at = WriteJsonb(span, at, e.watched[i]);
                at = WriteText(span, at, e.statuses[i]);
                at = WriteText(span, at, e.destinationIds[i]);
                at = WriteText(span, at, e.origins[i]);
                at = WriteBigint(span, at, e.runId);
                at = WriteText(span, at, e.skipReasons[i]);
            }

            return at;
        });
    }

    private static int WriteBytes(Span<byte> span, int at, byte[]? bytes)
    {
        if (bytes is null)
        {
            BinaryPrimitives.WriteInt32BigEndian(span[at..], -1);
            return at + 4;
        }

        BinaryPrimitives.WriteInt32BigEndian(span[at..], bytes.Length);
        bytes.CopyTo(span[(at + 4)..]);
        return at + 4 + bytes.Length;
    }

    private static int WriteJsonb(Span<byte> span, int at, string? json)
    {
        if (json is null)
        {
            BinaryPrimitives.WriteInt32BigEndian(span[at..], -1);
            return at + 4;
        }

        span[at + 4] = JsonbVersion;
        var length = Utf8.GetBytes(json, span[(at + 5)..]);
        BinaryPrimitives.WriteInt32BigEndian(span[at..], length + 1);
        return at + 5 + length;
    }
}
