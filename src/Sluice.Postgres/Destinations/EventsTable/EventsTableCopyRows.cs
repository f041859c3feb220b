using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using static Sluice.Postgres.BinaryCopyFields;

namespace Sluice.Postgres.Destinations;

/// <summary>
/// A batch's events-table rows in PostgreSQL's binary COPY format, for the columns of <see cref="EventsTableDdl.Columns"/>
/// in that order, encoded into one pooled buffer: the batch then goes to the server in one write, where the driver's
/// importer took eight calls per row, and the JSON values are copied once, as the UTF-8 bytes they already are.
/// </summary>
/// <remarks>
/// The format (PostgreSQL docs, "COPY", "Binary Format"): a header, then per row an int16 field count and per field an
/// int32 length (-1 for NULL) and the value in the type's binary send format — uuid as its 16 bytes in RFC order, text
/// as UTF-8, timestamptz as int64 microseconds since 2000-01-01 UTC, jsonb as a version byte (1) and the JSON text —
/// then a trailer. All integers are big-endian. The same bytes serve a COPY into the events table and into the
/// staging table, whose columns have the same types.
/// </remarks>
internal sealed class EventsTableCopyRows : IDisposable
{
    private const short Fields = 8;

    private byte[]? _buffer;
    private readonly int _length;

    private EventsTableCopyRows(byte[] buffer, int length)
    {
        _buffer = buffer;
        _length = length;
    }

    /// <summary>The whole COPY stream, header and trailer included; valid until <see cref="Dispose"/>.</summary>
    public ReadOnlyMemory<byte> Stream => (_buffer ?? throw new ObjectDisposedException(nameof(EventsTableCopyRows))).AsMemory(0, _length);

    /// <summary>Encodes <paramref name="rows"/>; a text that is not valid UTF-16 (a lone surrogate) throws <see cref="EncoderFallbackException"/>.</summary>
    public static EventsTableCopyRows Encode(IReadOnlyList<(int Index, EventsTableRow Row)> rows)
    {
        var most = (long)Header.Length + 2;
        foreach (var (_, row) in rows)
        {
            most += MostBytes(row);
        }

        var buffer = ArrayPool<byte>.Shared.Rent(checked((int)most));
        try
        {
            var span = buffer.AsSpan();
            Header.CopyTo(span);
            var at = Header.Length;
            foreach (var (_, row) in rows)
            {
                at = Write(span, at, row);
            }

            // The trailer: a field count of -1.
            BinaryPrimitives.WriteInt16BigEndian(span[at..], -1);
            return new EventsTableCopyRows(buffer, at + 2);
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

    private static long MostBytes(EventsTableRow row) =>
        2 + (Fields * 4) + 16 + (3 * 8) + 2 + row.Payload.Length + row.Metadata.Length
        + (long)BinaryCopyFields.Utf8.GetMaxByteCount(row.EventType.Length + row.Source.Length + (row.CustomerExternalId?.Length ?? 0));

    private static int Write(Span<byte> span, int at, EventsTableRow row)
    {
        BinaryPrimitives.WriteInt16BigEndian(span[at..], Fields);
        at += 2;
        BinaryPrimitives.WriteInt32BigEndian(span[at..], 16);
        row.EventId.TryWriteBytes(span.Slice(at + 4, 16), bigEndian: true, out _);
        at += 4 + 16;
        at = WriteText(span, at, row.EventType);
        at = WriteTimestamp(span, at, row.OccurredAt);
        at = WriteText(span, at, row.CustomerExternalId);
        at = WriteText(span, at, row.Source);
        at = WriteJsonb(span, at, row.Payload);
        at = WriteJsonb(span, at, row.Metadata);
        return WriteTimestamp(span, at, row.ReceivedAt);
    }

    private static int WriteJsonb(Span<byte> span, int at, byte[] json)
    {
        BinaryPrimitives.WriteInt32BigEndian(span[at..], json.Length + 1);
        span[at + 4] = JsonbVersion;
        json.CopyTo(span[(at + 5)..]);
        return at + 5 + json.Length;
    }
}
