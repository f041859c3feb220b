using System.Buffers.Binary;
using Sluice.Postgres;
using static Sluice.Postgres.BinaryCopyFields;

namespace Sluice.State;

/// <summary>
/// Acknowledged batches' <c>send_ledger</c> rows as one binary COPY stream into
/// <c>send_ledger (sync_id, run_id, batch_seq, operations, record_keys, message_ids, record_uuids)</c>, encoded into one
/// pooled buffer. Bound as <c>text[]</c> parameters of an INSERT, the driver took a converter lookup and an async write
/// per element: on a reverse-ETL run to Segment (two 1,350-element arrays a batch) that was about a twentieth of the sync
/// process's CPU.
/// </summary>
/// <remarks>
/// The format (PostgreSQL docs, "COPY", "Binary Format", and <c>array_send</c>): per row an int16 field count and per field
/// an int32 length (-1 for NULL) and the value; an array is its dimension count (1), a has-nulls flag (0), its element
/// type's OID (text 25, uuid 2950), per dimension its length and lower bound (1), then per element an int32 length and
/// the element (text as UTF-8, uuid as its 16 bytes in RFC 4122 order); integers big-endian. The ids have passed through
/// <see cref="StoredText"/> (<see cref="SendLedgerIds"/>), so they encode.
/// </remarks>
internal static class SendLedgerCopyRows
{
    public const string Columns = "sync_id, run_id, batch_seq, operations, record_keys, message_ids, record_uuids";

    private const short Fields = 7;
    private const int TextOid = 25;
    private const int UuidOid = 2950;

    /// <summary>One row per entry of <paramref name="rows"/>: its run, batch sequence, operations (one letter per record) and ids.</summary>
    public static BinaryCopyStream Encode(long syncId, IReadOnlyList<(long RunId, long Sequence, string Operations, SendLedgerIds Ids)> rows)
    {
        var most = (long)Header.Length + 2;
        foreach (var (_, _, operations, ids) in rows)
        {
            most += 2 + (Fields * 4) + (3 * 8) + Utf8.GetMaxByteCount(operations.Length) + MostOf(ids.Keys) + MostOf(ids.MessageIds)
                + (ids.Uuids is { } uuids ? 20 + (uuids.Length * (4L + 16)) : 0);
        }

        return BinaryCopyStream.Encode(most, (syncId, rows), static (span, at, state) =>
        {
            foreach (var (runId, sequence, operations, ids) in state.rows)
            {
                BinaryPrimitives.WriteInt16BigEndian(span[at..], Fields);
                at = WriteBigint(span, at + 2, state.syncId);
                at = WriteBigint(span, at, runId);
                at = WriteBigint(span, at, sequence);
                at = WriteText(span, at, operations);
                at = WriteTextArray(span, at, ids.Keys);
                at = WriteTextArray(span, at, ids.MessageIds);
                at = WriteUuidArray(span, at, ids.Uuids);
            }

            return at;
        });
    }

    private static long MostOf(string[]? texts)
    {
        if (texts is null)
        {
            return 0;
        }

        var most = 20L + (texts.Length * 4L);
        foreach (var text in texts)
        {
            most += Utf8.GetMaxByteCount(text.Length);
        }

        return most;
    }

    /// <summary>The field's length, then the one-dimensional array's header; returns where its first element goes.</summary>
    private static int WriteArrayHeader(Span<byte> span, int at, int elementOid, int count)
    {
        BinaryPrimitives.WriteInt32BigEndian(span[(at + 4)..], 1);
        BinaryPrimitives.WriteInt32BigEndian(span[(at + 8)..], 0);
        BinaryPrimitives.WriteInt32BigEndian(span[(at + 12)..], elementOid);
        BinaryPrimitives.WriteInt32BigEndian(span[(at + 16)..], count);
        BinaryPrimitives.WriteInt32BigEndian(span[(at + 20)..], 1);
        return at + 24;
    }

    private static int WriteTextArray(Span<byte> span, int at, string[]? texts)
    {
        if (texts is null)
        {
            BinaryPrimitives.WriteInt32BigEndian(span[at..], -1);
            return at + 4;
        }

        var end = WriteArrayHeader(span, at, TextOid, texts.Length);
        foreach (var text in texts)
        {
            end = WriteText(span, end, text);
        }

        BinaryPrimitives.WriteInt32BigEndian(span[at..], end - at - 4);
        return end;
    }

    private static int WriteUuidArray(Span<byte> span, int at, Guid[]? uuids)
    {
        if (uuids is null)
        {
            BinaryPrimitives.WriteInt32BigEndian(span[at..], -1);
            return at + 4;
        }

        var end = WriteArrayHeader(span, at, UuidOid, uuids.Length);
        foreach (var uuid in uuids)
        {
            BinaryPrimitives.WriteInt32BigEndian(span[end..], 16);
            uuid.TryWriteBytes(span[(end + 4)..], bigEndian: true, out _);
            end += 20;
        }

        BinaryPrimitives.WriteInt32BigEndian(span[at..], end - at - 4);
        return end;
    }
}
