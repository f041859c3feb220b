using System.Collections;
using System.Globalization;
using System.Text.Json;
using Sluice.Core.Errors;
using Sluice.Core.Mapping;
using Sluice.Core.Records;
using Sluice.Salesforce.Describe;

namespace Sluice.Salesforce.Destination;

/// <summary>
/// Turns a mapped value into what its Salesforce field takes (<see cref="SalesforceValue"/>, written as JSON for
/// sObject Collections and as a CSV cell for Bulk API 2.0), by the field's describe: dates and datetimes in UTC,
/// numbers within precision and scale, picklist values mapped and checked, text within its length. What the org would
/// refuse (<c>STRING_TOO_LONG</c>, a restricted picklist's unknown value, lost precision) is refused here, before
/// sending, as a record-rejected error with the reason; nothing is rounded or cut silently.
/// </summary>
internal static class SalesforceFieldEncoder
{
    /// <summary>The field as a JSON property, as sObject Collections take it.</summary>
    public static void Write(Utf8JsonWriter writer, FieldDescription field, SalesforceFieldOptions? options, object? value, ColumnType sourceType)
    {
        var encoded = Encode(field, options, value, sourceType);
        writer.WritePropertyName(field.Name);
        encoded.WriteJson(writer);
    }

    /// <summary>The value its field takes, by the field's describe; throws a record-rejected error for what the org would refuse.</summary>
    public static SalesforceValue Encode(FieldDescription field, SalesforceFieldOptions? options, object? value, ColumnType sourceType)
    {
        if (value is null or DBNull)
        {
            // A checkbox holds true or false, never null: Salesforce refuses null for it.
            return field.Type == "boolean" ? SalesforceValue.From(false) : SalesforceValue.Null;
        }

        return field.Type switch
        {
            "boolean" => SalesforceValue.From(ToBoolean(field, value)),
            "int" or "long" => SalesforceValue.From(ToInteger(field, value)),
            "double" or "currency" or "percent" => SalesforceValue.From(ToNumber(field, value)),
            "date" => SalesforceValue.From(ToDate(field, value)),
            "datetime" => SalesforceValue.From(ToDateTime(field, value)),
            "time" => SalesforceValue.From(value is TimeOnly t ? t.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture) + "Z" : Text(value, sourceType)),
            "picklist" => SalesforceValue.From(CheckLength(field, options, Picklist(field, options, Text(value, sourceType)))),
            "multipicklist" => SalesforceValue.From(CheckLength(field, options, MultiPicklist(field, options, value, sourceType))),
            _ => SalesforceValue.From(CheckLength(field, options, Text(value, sourceType))),
        };
    }

    /// <summary>A value as text: jsonb as its JSON text, timestamps in ISO form, numbers invariant.</summary>
    public static string Text(object value, ColumnType sourceType) => value switch
    {
        string s => s,
        DateTimeOffset d => d.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        DateTime d => Utc(d).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        IEnumerable items when sourceType != ColumnType.Json => JsonSerializer.Serialize(items),
        _ => value.ToString() ?? "",
    };

    private static string CheckLength(FieldDescription field, SalesforceFieldOptions? options, string text)
    {
        if (field.Length <= 0 || text.Length <= field.Length)
        {
            return text;
        }

        if (options?.Truncate == true)
        {
            return text[..field.Length];
        }

        throw Rejected($"STRING_TOO_LONG: {field.Name} takes at most {field.Length} characters and the value has {text.Length}; " +
            $"shorten it at the source, or add 'truncate: true' under the destination's 'fields: {{{field.Name}: …}}' to cut it");
    }

    private static string Picklist(FieldDescription field, SalesforceFieldOptions? options, string text)
    {
        var mapped = options?.Values.TryGetValue(text, out var to) == true ? to! : text;
        if (field.RestrictedPicklist && !field.PicklistValues.Contains(mapped, StringComparer.Ordinal))
        {
            throw Rejected($"INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST: {field.Name} is a restricted picklist and '{mapped}' is not one of its values " +
                $"({string.Join(", ", field.PicklistValues.Take(20))}); map it with 'values: {{{text}: <value>}}' under the destination's fields: {field.Name}");
        }

        return mapped;
    }

    private static string MultiPicklist(FieldDescription field, SalesforceFieldOptions? options, object value, ColumnType sourceType)
    {
        IEnumerable<string> items = value switch
        {
            string s when sourceType == ColumnType.Json => JsonSerializer.Deserialize<string[]>(s) ?? [],
            string s => s.Split(';', StringSplitOptions.RemoveEmptyEntries),
            IEnumerable e => e.Cast<object?>().Where(i => i is not null).Select(i => Text(i!, ColumnType.Other)),
            _ => [Text(value, sourceType)],
        };
        return string.Join(";", items.Select(i => Picklist(field, options, i)));
    }

    private static bool ToBoolean(FieldDescription field, object value) => value switch
    {
        bool b => b,
        string s when bool.TryParse(s, out var b) => b,
        string s when s is "t" or "1" or "yes" => true,
        string s when s is "f" or "0" or "no" => false,
        int or long or short => Convert.ToInt64(value, CultureInfo.InvariantCulture) != 0,
        _ => throw Rejected($"{field.Name} is a checkbox and the value {Shown(value)} is not true or false"),
    };

    private static long ToInteger(FieldDescription field, object value)
    {
        var number = ToDecimal(field, value);
        if (number != decimal.Truncate(number) || number > long.MaxValue || number < long.MinValue)
        {
            throw Rejected($"{field.Name} holds whole numbers and {number.ToString(CultureInfo.InvariantCulture)} is not one; round it at the source");
        }

        return (long)number;
    }

    private static decimal ToNumber(FieldDescription field, object value)
    {
        var number = ToDecimal(field, value);
        if (field.Precision > 0)
        {
            if (decimal.Round(number, field.Scale) != number)
            {
                throw Rejected($"{field.Name} keeps {field.Scale} decimal places ({field.Type}({field.Precision},{field.Scale})) and {number.ToString(CultureInfo.InvariantCulture)} " +
                    "would lose precision; round it at the source or widen the field's scale");
            }

            var integerDigits = field.Precision - field.Scale;
            var whole = decimal.Truncate(Math.Abs(number));
            if (whole >= Pow10(integerDigits))
            {
                throw Rejected($"{field.Name} takes at most {integerDigits} digits before the decimal point ({field.Type}({field.Precision},{field.Scale})) and {number.ToString(CultureInfo.InvariantCulture)} has more");
            }
        }

        return number;
    }

    // 10^0 … 10^28, the powers a decimal holds; a field wider than that is never exceeded by one.
    private static readonly decimal[] Powers = [.. Enumerable.Range(0, 29).Select(n => Enumerable.Repeat(10m, n).Aggregate(1m, (p, ten) => p * ten))];

    private static decimal Pow10(int digits) => Powers[Math.Clamp(digits, 0, Powers.Length - 1)];

    private static decimal ToDecimal(FieldDescription field, object value)
    {
        try
        {
            return value switch
            {
                decimal d => d,
                double d when double.IsFinite(d) => (decimal)d,
                float f when float.IsFinite(f) => (decimal)f,
                int or long or short or byte => Convert.ToDecimal(value, CultureInfo.InvariantCulture),
                string s when decimal.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
                _ => throw Rejected($"{field.Name} is a number and the value {Shown(value)} is not"),
            };
        }
        catch (OverflowException)
        {
            throw Rejected($"{field.Name} is a number and {Shown(value)} is out of its range");
        }
    }

    private static string ToDate(FieldDescription field, object value) => value switch
    {
        DateOnly d => IsoDate(d),
        DateTime d => IsoDate(DateOnly.FromDateTime(Utc(d))),
        DateTimeOffset d => IsoDate(DateOnly.FromDateTime(d.UtcDateTime)),
        string s when DateOnly.TryParse(s, CultureInfo.InvariantCulture, out var d) => IsoDate(d),
        string s when DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d) => IsoDate(DateOnly.FromDateTime(d.UtcDateTime)),
        _ => throw Rejected($"{field.Name} is a date and the value {Shown(value)} is not one"),
    };

    /// <summary><c>yyyy-MM-dd</c>, digit by digit (the same text as the format string, at a fraction of its cost per record).</summary>
    internal static string IsoDate(DateOnly date) => string.Create(10, date, static (chars, d) =>
    {
        var (year, month, day) = (d.Year, d.Month, d.Day);
        chars[0] = (char)('0' + (year / 1000));
        chars[1] = (char)('0' + (year / 100 % 10));
        chars[2] = (char)('0' + (year / 10 % 10));
        chars[3] = (char)('0' + (year % 10));
        chars[4] = '-';
        chars[5] = (char)('0' + (month / 10));
        chars[6] = (char)('0' + (month % 10));
        chars[7] = '-';
        chars[8] = (char)('0' + (day / 10));
        chars[9] = (char)('0' + (day % 10));
    });

    private static string ToDateTime(FieldDescription field, object value) => value switch
    {
        DateTimeOffset d => Iso(d.UtcDateTime),
        DateTime d => Iso(Utc(d)),
        DateOnly d => Iso(d.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc)),
        string s when DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d) => Iso(d.UtcDateTime),
        _ => throw Rejected($"{field.Name} is a date and time and the value {Shown(value)} is not one"),
    };

    private static string Iso(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    // A timestamp without time zone is taken as UTC, as Sluice stores and compares them everywhere.
    private static DateTime Utc(DateTime d) => d.Kind == DateTimeKind.Local ? d.ToUniversalTime() : DateTime.SpecifyKind(d, DateTimeKind.Utc);

    private static string Shown(object value)
    {
        var text = Text(value, ColumnType.Other);
        return text.Length > 40 ? $"'{text[..40]}…'" : $"'{text}'";
    }

    private static SluiceException Rejected(string reason) => new(ErrorClass.RecordRejected, reason);
}
