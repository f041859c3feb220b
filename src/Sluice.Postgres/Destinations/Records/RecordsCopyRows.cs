using System.Buffers.Binary;
using NpgsqlTypes;
using static Sluice.Postgres.BinaryCopyFields;

namespace Sluice.Postgres.Destinations.Records;

/// <summary>
/// A first load's rows (or their memberships) as one binary COPY stream, encoded into one pooled buffer: the driver's
/// importer took a call per value, each binding a converter (measured: the largest single item of a 100,000-record
/// first sync's CPU in sluice once the merge was gone). Values are the staged ones (<see cref="StagingType.Convert"/>),
/// written as Npgsql writes them; a value of a type not handled here throws <see cref="NotSupportedException"/>, a text
/// that is not valid UTF-16 <see cref="System.Text.EncoderFallbackException"/>: the batch then takes the merge.
/// </summary>
/// <remarks>
/// The format (PostgreSQL docs, "COPY", "Binary Format", and each type's <c>*_send</c>): a header; per row an int16 field
/// count, per field an int32 length (-1 for NULL) and the value — bigint and double as 8 bytes, boolean as 1, text as
/// UTF-8, uuid as its 16 bytes in RFC order, timestamp(tz) as int64 microseconds since 2000-01-01, date as int32 days
/// since then (Npgsql's infinity for the CLR's min and max), numeric as int16 digit count, weight, sign and display
/// scale, then base-10000 digits; a trailer. Integers big-endian.
/// </remarks>
internal static class RecordsCopyRows
{
    private const long PostgresEpochTicks = 630_822_816_000_000_000;
    private static readonly int PostgresEpochDay = new DateOnly(2000, 1, 1).DayNumber;

    /// <summary>Whether values staged as <paramref name="type"/> are written here.</summary>
    public static bool Writes(StagingType type) => type.DbType is NpgsqlDbType.Text or NpgsqlDbType.Bigint or NpgsqlDbType.Numeric or NpgsqlDbType.Double
        or NpgsqlDbType.Boolean or NpgsqlDbType.Timestamp or NpgsqlDbType.TimestampTz or NpgsqlDbType.Date or NpgsqlDbType.Uuid;

    /// <summary>Each row's values, in its layout's column order.</summary>
    public static BinaryCopyStream Rows(List<(int Index, RecordsRow Row)> rows)
    {
        var most = (long)Header.Length + 2;
        foreach (var (_, row) in rows)
        {
            most += 2;
            foreach (var value in row.Values)
            {
                most += MostBytes(value);
            }
        }

        return BinaryCopyStream.Encode(most, rows, static (span, at, rows) =>
        {
            foreach (var (_, row) in rows)
            {
                BinaryPrimitives.WriteInt16BigEndian(span[at..], (short)row.Values.Length);
                at += 2;
                for (var i = 0; i < row.Values.Length; i++)
                {
                    at = Write(span, at, row.Values[i]);
                }
            }

            return at;
        });
    }

    /// <summary>One row per record and group: the record's key value and the group's name.</summary>
    public static BinaryCopyStream Memberships(List<(int Index, RecordsRow Row)> rows, RecordsLayout layout)
    {
        var most = (long)Header.Length + 2;
        foreach (var (_, row) in rows)
        {
            foreach (var group in row.Groups)
            {
                most += 2 + MostBytes(row.Values[layout.KeyIndex]) + MostBytes(group);
            }
        }

        return BinaryCopyStream.Encode(most, (rows, layout.KeyIndex), static (span, at, state) =>
        {
            foreach (var (_, row) in state.rows)
            {
                foreach (var group in row.Groups)
                {
                    BinaryPrimitives.WriteInt16BigEndian(span[at..], 2);
                    at = Write(span, at + 2, row.Values[state.KeyIndex]);
                    at = WriteText(span, at, group);
                }
            }

            return at;
        });
    }

    /// <summary>An upper bound of the field's bytes, length included.</summary>
    private static long MostBytes(object? value) => value switch
    {
        null => 4,
        string text => 4 + (long)Utf8.GetMaxByteCount(text.Length),
        // Up to 29 significant digits and 28 of scale: at most 9 base-10000 digits after padding, and the 8-byte head.
        decimal => 4 + 8 + (9 * 2),
        _ => 4 + 16,
    };

    private static int Write(Span<byte> span, int at, object? value)
    {
        switch (value)
        {
            case null:
                BinaryPrimitives.WriteInt32BigEndian(span[at..], -1);
                return at + 4;
            case string text:
                return WriteText(span, at, text);
            case long number:
                BinaryPrimitives.WriteInt32BigEndian(span[at..], 8);
                BinaryPrimitives.WriteInt64BigEndian(span[(at + 4)..], number);
                return at + 12;
            case decimal number:
                return WriteNumeric(span, at, number);
            case double number:
                BinaryPrimitives.WriteInt32BigEndian(span[at..], 8);
                BinaryPrimitives.WriteDoubleBigEndian(span[(at + 4)..], number);
                return at + 12;
            case bool flag:
                BinaryPrimitives.WriteInt32BigEndian(span[at..], 1);
                span[at + 4] = flag ? (byte)1 : (byte)0;
                return at + 5;
            case DateTime time:
                BinaryPrimitives.WriteInt32BigEndian(span[at..], 8);
                BinaryPrimitives.WriteInt64BigEndian(span[(at + 4)..], time == DateTime.MaxValue ? long.MaxValue : time == DateTime.MinValue ? long.MinValue : (time.Ticks - PostgresEpochTicks) / 10);
                return at + 12;
            case DateOnly date:
                BinaryPrimitives.WriteInt32BigEndian(span[at..], 4);
                BinaryPrimitives.WriteInt32BigEndian(span[(at + 4)..], date == DateOnly.MaxValue ? int.MaxValue : date == DateOnly.MinValue ? int.MinValue : date.DayNumber - PostgresEpochDay);
                return at + 8;
            case Guid guid:
                BinaryPrimitives.WriteInt32BigEndian(span[at..], 16);
                guid.TryWriteBytes(span.Slice(at + 4, 16), bigEndian: true, out _);
                return at + 20;
            default:
                throw new NotSupportedException($"a staged {value.GetType().Name} is not written by the first load's COPY");
        }
    }

    /// <summary>
    /// A numeric as <c>numeric_send</c> sends it: the decimal's digits in groups of four aligned on the decimal point
    /// (its integer mantissa scaled up to a multiple of four fractional digits), the weight of the first group, the sign,
    /// and the decimal's own scale as the display scale — so 1.50 stays 1.50, as Npgsql writes it.
    /// </summary>
    internal static int WriteNumeric(Span<byte> span, int at, decimal value)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        var scale = (bits[3] >> 16) & 0xFF;
        var negative = bits[3] < 0;
        var mantissa = ((UInt128)(uint)bits[2] << 64) | ((UInt128)(uint)bits[1] << 32) | (uint)bits[0];
        var pad = (4 - (scale % 4)) % 4;
        for (var i = 0; i < pad; i++)
        {
            mantissa *= 10;
        }

        // Base-10000 digits, least significant first; the first (scale + pad) / 4 of them are fractional.
        Span<short> digits = stackalloc short[10];
        var count = 0;
        while (mantissa != 0)
        {
            digits[count++] = (short)(ulong)(mantissa % 10000);
            mantissa /= 10000;
        }

        var fractional = (scale + pad) / 4;
        // Trailing zero groups carry nothing (PostgreSQL strips them too); the weight is the first group's.
        var low = 0;
        while (low < count && digits[low] == 0)
        {
            low++;
        }

        var ndigits = count - low;
        var weight = ndigits == 0 ? 0 : count - 1 - fractional;
        BinaryPrimitives.WriteInt32BigEndian(span[at..], 8 + (ndigits * 2));
        BinaryPrimitives.WriteInt16BigEndian(span[(at + 4)..], (short)ndigits);
        BinaryPrimitives.WriteInt16BigEndian(span[(at + 6)..], (short)weight);
        BinaryPrimitives.WriteInt16BigEndian(span[(at + 8)..], negative && ndigits > 0 ? (short)0x4000 : (short)0);
        BinaryPrimitives.WriteInt16BigEndian(span[(at + 10)..], (short)scale);
        var write = at + 12;
        for (var i = count - 1; i >= low; i--)
        {
            BinaryPrimitives.WriteInt16BigEndian(span[write..], digits[i]);
            write += 2;
        }

        return write;
    }
}
