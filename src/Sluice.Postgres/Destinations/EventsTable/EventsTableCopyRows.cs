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
internal static class EventsTableCopyRows
{
    private const short Fields = 8;

    /// <summary>Encodes <paramref name="rows"/>; a text that is not valid UTF-16 (a lone surrogate) throws <see cref="EncoderFallbackException"/>.</summary>
    public static BinaryCopyStream Encode(IReadOnlyList<(int Index, EventsTableRow Row)> rows)
    {
        var most = (long)HeaderLength + 2;
        foreach (var (_, row) in rows)
        {
            most += MostBytes(row);
        }

        return BinaryCopyStream.Encode(most, rows, static (span, at, rows) =>
        {
            foreach (var (_, row) in rows)
            {
                at = Write(span, at, row);
            }

            return at;
        });
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
