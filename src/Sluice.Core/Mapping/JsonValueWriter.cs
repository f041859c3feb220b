using System.Collections;
using System.Globalization;
using System.Text.Json;
using Sluice.Core.Errors;
using Sluice.Core.Records;

namespace Sluice.Core.Mapping;

/// <summary>
/// Writes a database value as JSON the way customer-data tools expect it: timestamps as ISO 8601 in UTC,
/// dates as <c>yyyy-MM-dd</c>, jsonb as nested JSON (or flattened), arrays as arrays, numbers as numbers
/// (or strings where a number would lose digits). <see cref="JsonValueOptions"/> chooses where there is a choice.
/// </summary>
public static class JsonValueWriter
{
    // 10^15: a decimal whose significant digits fit below it survives a round trip through a double (DBL_DIG = 15).
    private static readonly UInt128 ExactLimit = 1_000_000_000_000_000;

    /// <summary>Writes <paramref name="value"/> with the default <see cref="JsonValueOptions"/>.</summary>
    public static void Write(Utf8JsonWriter writer, object? value, ColumnType type) => Write(writer, value, type, JsonValueOptions.Default);

    /// <summary>
    /// Writes one property of an object: <paramref name="name"/> and the value, or nothing for a NULL under
    /// <see cref="JsonValueOptions.OmitNulls"/>, or one property per leaf for a jsonb object under
    /// <see cref="JsonValueOptions.FlattenJsonb"/>.
    /// </summary>
    /// <exception cref="SluiceException">Of class <see cref="ErrorClass.RecordRejected"/>: jsonb to flatten that is not JSON.</exception>
    public static void WriteProperty(Utf8JsonWriter writer, JsonEncodedText name, object? value, ColumnType type, JsonValueOptions options)
    {
        switch (value)
        {
            case null or DBNull when options.OmitNulls:
                return;
            case string text when type == ColumnType.Json && options.FlattenJsonb:
                Flatten(writer, name, text, options);
                return;
            default:
                writer.WritePropertyName(name);
                Write(writer, value, type, options);
                return;
        }
    }

    /// <summary>Writes <paramref name="value"/> as one JSON value (a NULL is <c>null</c>: leaving a value out is up to its container).</summary>
    public static void Write(Utf8JsonWriter writer, object? value, ColumnType type, JsonValueOptions options)
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
                WriteDecimal(writer, number, options);
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
                    Write(writer, item, item is string && type == ColumnType.Json ? ColumnType.Json : ColumnType.Other, options);
                }

                writer.WriteEndArray();
                break;
            default:
                writer.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }

    private static void WriteDecimal(Utf8JsonWriter writer, decimal number, JsonValueOptions options)
    {
        if (!options.NumericAsString && IsExactAsDouble(number))
        {
            writer.WriteNumberValue(number);
            return;
        }

        // The digits as PostgreSQL gave them (scale kept: 12.50 stays "12.50"); a decimal is at most 31 characters.
        Span<byte> text = stackalloc byte[48];
        number.TryFormat(text, out var written, default, CultureInfo.InvariantCulture);
        writer.WriteStringValue(text[..written]);
    }

    /// <summary>
    /// Whether a reader that parses JSON numbers as doubles gets this value back: at most 15 significant digits.
    /// (A decimal is always within a double's range: at most 7.9e28, at least 1e-28 in magnitude.)
    /// </summary>
    private static bool IsExactAsDouble(decimal number)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(number, bits);
        var mantissa = ((UInt128)(uint)bits[2] << 64) | ((UInt128)(uint)bits[1] << 32) | (uint)bits[0];
        if (mantissa < ExactLimit)
        {
            return true;
        }

        // Trailing zeros are not significant: 1000000000000000000 is 1e18, exact as a double.
        while (mantissa % 10 == 0)
        {
            mantissa /= 10;
        }

        return mantissa < ExactLimit;
    }

    private static void Flatten(Utf8JsonWriter writer, JsonEncodedText name, string json, JsonValueOptions options)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new SluiceException(ErrorClass.RecordRejected, $"'{name.Value}' holds jsonb that is not valid JSON, so it cannot be flattened: {e.Message}");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                // Only objects have paths to flatten; an array or a scalar keeps its own name.
                writer.WritePropertyName(name);
                document.RootElement.WriteTo(writer);
                return;
            }

            FlattenObject(writer, name.Value, document.RootElement, options.FlattenSeparator);
        }
    }

    private static void FlattenObject(Utf8JsonWriter writer, string prefix, JsonElement element, string separator)
    {
        // An empty object has no leaves, so it writes nothing.
        foreach (var property in element.EnumerateObject())
        {
            var path = prefix + separator + property.Name;
            if (property.Value.ValueKind == JsonValueKind.Object)
            {
                FlattenObject(writer, path, property.Value, separator);
            }
            else
            {
                writer.WritePropertyName(path);
                property.Value.WriteTo(writer);
            }
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
