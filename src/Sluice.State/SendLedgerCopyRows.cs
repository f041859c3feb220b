using System.Buffers;
using System.Buffers.Binary;
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
internal sealed class SendLedgerCopyRows : IDisposable
{
    public const string Columns = "sync_id, run_id, batch_seq, operations, record_keys, message_ids, record_uuids";

    private const short Fields = 7;
    private const int TextOid = 25;
    private const int UuidOid = 2950;

    private byte[]? _buffer;
    private readonly int _length;

    private SendLedgerCopyRows(byte[] buffer, int length)
    {
        _buffer = buffer;
        _length = length;
    }

    /// <summary>The whole COPY stream, header and trailer included; valid until <see cref="Dispose"/>.</summary>
    public ReadOnlyMemory<byte> Stream => (_buffer ?? throw new ObjectDisposedException(nameof(SendLedgerCopyRows))).AsMemory(0, _length);

    /// <summary>One row per entry of <paramref name="rows"/>: its run, batch sequence, operations (one letter per record) and ids.</summary>
    public static SendLedgerCopyRows Encode(long syncId, IReadOnlyList<(long RunId, long Sequence, string Operations, SendLedgerIds Ids)> rows)
    {
        var most = (long)Header.Length + 2;
        foreach (var (_, _, operations, ids) in rows)
        {
            most += 2 + (Fields * 4) + (3 * 8) + Utf8.GetMaxByteCount(operations.Length) + MostOf(ids.Keys) + MostOf(ids.MessageIds)
                + (ids.Uuids is { } uuids ? 20 + (uuids.Length * (4L + 16)) : 0);
        }

        var buffer = ArrayPool<byte>.Shared.Rent(checked((int)most));
        try
        {
            var span = buffer.AsSpan();
            Header.CopyTo(span);
            var at = Header.Length;
            foreach (var (runId, sequence, operations, ids) in rows)
            {
                BinaryPrimitives.WriteInt16BigEndian(span[at..], Fields);
                at = WriteBigint(span, at + 2, syncId);
                at = WriteBigint(span, at, runId);
                at = WriteBigint(span, at, sequence);
                at = WriteText(span, at, operations);
                at = WriteTextArray(span, at, ids.Keys);
                at = WriteTextArray(span, at, ids.MessageIds);
                at = WriteUuidArray(span, at, ids.Uuids);
            }

            // The trailer: a field count of -1.
            BinaryPrimitives.WriteInt16BigEndian(span[at..], -1);
            return new SendLedgerCopyRows(buffer, at + 2);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    /// <summary>Returns the buffer to the pool; the stream must no longer be in use.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } buffer)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
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

    private static int WriteBigint(Span<byte> span, int at, long value)
    {
        BinaryPrimitives.WriteInt32BigEndian(span[at..], 8);
        BinaryPrimitives.WriteInt64BigEndian(span[(at + 4)..], value);
        return at + 12;
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
