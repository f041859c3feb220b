using System.Collections;
using System.Globalization;
using System.Text.Json;
using Sluice.Core.Records;

namespace Sluice.Core.Mapping;

/// <summary>
/// Writes a database value as JSON the way customer-data tools expect it: timestamps as ISO 8601 in UTC,
/// dates as <c>yyyy-MM-dd</c>, jsonb as nested JSON, arrays as arrays, numbers as numbers.
/// </summary>
public static class JsonValueWriter
{
    public static void Write(Utf8JsonWriter writer, object? value, ColumnType type)
    {
        switch (value)
        {
            case null or DBNull:
                writer.WriteNullValue();
                break;
            case string text when type == ColumnType.Json:
                // jsonb arrives as its text; it is already valid JSON, so it is embedded, not quoted.
                writer.WriteRawValue(text, skipInputValidation: true);
                break;
            case string text:
                writer.WriteStringValue(text);
                break;
            case bool flag:
                writer.WriteBooleanValue(flag);
                break;
            case int number:
                writer.WriteNumberValue(number);
                break;
            case long number:
                writer.WriteNumberValue(number);
                break;
            case short number:
                writer.WriteNumberValue(number);
                break;
            case decimal number:
                writer.WriteNumberValue(number);
                break;
            case double number when double.IsFinite(number):
                writer.WriteNumberValue(number);
                break;
            case float number when float.IsFinite(number):
                writer.WriteNumberValue(number);
                break;
            case double or float:
                // NaN and ±Infinity have no JSON number form.
                writer.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
            case DateTime timestamp:
                WriteTimestamp(writer, timestamp);
                break;
            case DateTimeOffset timestamp:
                WriteTimestamp(writer, timestamp.UtcDateTime);
                break;
            case DateOnly date:
                writer.WriteStringValue(date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                break;
            case TimeOnly time:
                writer.WriteStringValue(time.ToString("HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture));
                break;
            case Guid id:
                writer.WriteStringValue(id);
                break;
            case byte[] bytes:
                writer.WriteBase64StringValue(bytes);
                break;
            case IEnumerable items:
                writer.WriteStartArray();
                foreach (var item in items)
                {
                    Write(writer, item, item is string && type == ColumnType.Json ? ColumnType.Json : ColumnType.Other);
                }

                writer.WriteEndArray();
                break;
            default:
                writer.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }

    /// <summary>ISO 8601 with milliseconds and <c>Z</c>: what Segment's libraries send and its warehouses parse.</summary>
    public static void WriteTimestamp(Utf8JsonWriter writer, DateTime timestamp)
    {
        var utc = timestamp.Kind switch
        {
            DateTimeKind.Utc => timestamp,
            // timestamp without time zone: the database's wall clock; we take it as UTC rather than guess a zone.
            DateTimeKind.Unspecified => DateTime.SpecifyKind(timestamp, DateTimeKind.Utc),
            _ => timestamp.ToUniversalTime(),
        };
        // yyyy-MM-ddTHH:mm:ss.fffZ by hand: DateTime's custom-format path costs more than the rest of an event.
        Span<byte> text = stackalloc byte[24];
        Digits(text[..4], utc.Year);
        text[4] = (byte)'-';
        Digits(text.Slice(5, 2), utc.Month);
        text[7] = (byte)'-';
        Digits(text.Slice(8, 2), utc.Day);
        text[10] = (byte)'T';
        Digits(text.Slice(11, 2), utc.Hour);
        text[13] = (byte)':';
        Digits(text.Slice(14, 2), utc.Minute);
        text[16] = (byte)':';
        Digits(text.Slice(17, 2), utc.Second);
        text[19] = (byte)'.';
        Digits(text.Slice(20, 3), utc.Millisecond);
        text[23] = (byte)'Z';
        writer.WriteStringValue(text);
    }

    private static void Digits(Span<byte> into, int value)
    {
        for (var i = into.Length - 1; i >= 0; i--)
        {
            into[i] = (byte)('0' + (value % 10));
            value /= 10;
        }
    }
}
