using System.Buffers.Binary;
using System.Text;

namespace Sluice.Postgres;

/// <summary>
/// Fields of PostgreSQL's binary COPY format written straight into a span (PostgreSQL docs, "COPY", "Binary Format"):
/// an int32 length (-1 for NULL), then the value in its type's binary send format, big-endian. For the writers that
/// encode a whole batch into one pooled buffer instead of calling the driver's importer per value.
/// </summary>
public static class BinaryCopyFields
{
    /// <summary>The UTC ticks of PostgreSQL's epoch, 2000-01-01.</summary>
    private const long PostgresEpochTicks = 630_822_816_000_000_000;

    /// <summary>The length of <see cref="Header"/>: the signature, the int32 flags and the int32 header extension length.</summary>
    public const int HeaderLength = 11 + 4 + 4;

    /// <summary>jsonb's binary format version (PostgreSQL's <c>jsonb_send</c>), the byte before its JSON text.</summary>
    public const byte JsonbVersion = 1;

    /// <summary>What Npgsql sends text with: UTF-8 that refuses a lone surrogate rather than replacing it.</summary>
    public static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>A stream's header as a writer sends it: the signature, flags 0 (no OIDs) and an empty header extension.</summary>
    public static ReadOnlySpan<byte> Header => [(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', (byte)'\n', 0xFF, (byte)'\r', (byte)'\n', 0, 0, 0, 0, 0, 0, 0, 0, 0];

    /// <summary>The 11 bytes every binary COPY stream starts with, which a reader checks.</summary>
    public static ReadOnlySpan<byte> Signature => Header[..11];

    /// <summary>A text field (or NULL) at <paramref name="at"/>; returns where the next field starts.</summary>
    public static int WriteText(Span<byte> span, int at, string? text)
    {
        if (text is null)
        {
            BinaryPrimitives.WriteInt32BigEndian(span[at..], -1);
            return at + 4;
        }

        var length = Utf8.GetBytes(text, span[(at + 4)..]);
        BinaryPrimitives.WriteInt32BigEndian(span[at..], length);
        return at + 4 + length;
    }

    /// <summary>A bigint field at <paramref name="at"/>; returns where the next field starts.</summary>
    public static int WriteBigint(Span<byte> span, int at, long value)
    {
        BinaryPrimitives.WriteInt32BigEndian(span[at..], 8);
        BinaryPrimitives.WriteInt64BigEndian(span[(at + 4)..], value);
        return at + 12;
    }

    /// <summary>A timestamptz field as Npgsql encodes it: whole microseconds since PostgreSQL's epoch, truncated.</summary>
    public static int WriteTimestamp(Span<byte> span, int at, DateTimeOffset value)
    {
        BinaryPrimitives.WriteInt32BigEndian(span[at..], 8);
        BinaryPrimitives.WriteInt64BigEndian(span[(at + 4)..], (value.UtcTicks - PostgresEpochTicks) / 10);
        return at + 4 + 8;
    }
}
