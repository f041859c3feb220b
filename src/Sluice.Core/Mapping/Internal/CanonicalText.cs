using System.Buffers;
using System.Collections;
using System.Globalization;
using System.Text.Json;
using Sluice.Core.Records;

namespace Sluice.Core.Mapping.Internal;

/// <summary>
/// A value as the text a hash or a mask works on: a string as it is, anything else as the text it
/// would be sent as (invariant numbers, <c>true</c>/<c>false</c>, ISO 8601 UTC timestamps with
/// milliseconds, <c>yyyy-MM-dd</c> dates, lower-case UUIDs, base64 bytes, arrays as JSON), so that
/// a hash can be reproduced from the value a destination would otherwise have received.
/// </summary>
internal static class CanonicalText
{
    /// <summary>Enough for every scalar formatted into the caller's scratch (a decimal is at most 31 characters).</summary>
    public const int ScratchLength = 64;

    /// <summary>
    /// The text of <paramref name="value"/>: a view of the string itself, or of <paramref name="scratch"/>
    /// for scalars; only rare shapes (arrays, long byte strings, unknown types) allocate a string.
    /// </summary>
    public static ReadOnlySpan<char> Of(object value, Span<char> scratch, ColumnType type)
    {
        if (value is string text)
        {
            return text;
        }

        var written = 0;
        var formatted = value switch
        {
            bool flag => Copy(flag ? "true" : "false", scratch, out written),
            int number => number.TryFormat(scratch, out written, default, CultureInfo.InvariantCulture),
            long number => number.TryFormat(scratch, out written, default, CultureInfo.InvariantCulture),
            short number => number.TryFormat(scratch, out written, default, CultureInfo.InvariantCulture),
            decimal number => number.TryFormat(scratch, out written, default, CultureInfo.InvariantCulture),
            double number => number.TryFormat(scratch, out written, default, CultureInfo.InvariantCulture),
            float number => number.TryFormat(scratch, out written, default, CultureInfo.InvariantCulture),
            DateTime timestamp => Utc(timestamp).TryFormat(scratch, out written, "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fff'Z'", CultureInfo.InvariantCulture),
            DateTimeOffset timestamp => timestamp.UtcDateTime.TryFormat(scratch, out written, "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fff'Z'", CultureInfo.InvariantCulture),
            DateOnly date => date.TryFormat(scratch, out written, "yyyy'-'MM'-'dd", CultureInfo.InvariantCulture),
            TimeOnly time => time.TryFormat(scratch, out written, "HH':'mm':'ss.FFFFFFF", CultureInfo.InvariantCulture),
            Guid id => id.TryFormat(scratch, out written, "D"),
            byte[] bytes => Convert.TryToBase64Chars(bytes, scratch, out written),
            _ => false,
        };

        return formatted ? scratch[..written] : Fallback(value, type);
    }

    private static bool Copy(string text, Span<char> into, out int written)
    {
        text.AsSpan().CopyTo(into);
        written = text.Length;
        return true;
    }

    // timestamp without time zone is the database's wall clock, taken as UTC, as JsonValueWriter does.
    private static DateTime Utc(DateTime timestamp) => timestamp.Kind switch
    {
        DateTimeKind.Utc => timestamp,
        DateTimeKind.Unspecified => DateTime.SpecifyKind(timestamp, DateTimeKind.Utc),
        _ => timestamp.ToUniversalTime(),
    };

    private static string Fallback(object value, ColumnType type)
    {
        switch (value)
        {
            case byte[] bytes:
                return Convert.ToBase64String(bytes);
            case IEnumerable:
                var buffer = new ArrayBufferWriter<byte>(256);
                using (var writer = new Utf8JsonWriter(buffer))
                {
                    JsonValueWriter.Write(writer, value, type);
                }

                return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
            default:
                return Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
        }
    }
}
