using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sluice.Emulators.Salesforce.Org;

/// <summary>
/// Converts between the wire (JSON values, CSV text) and stored values (see <see cref="SObjectRecord"/>), and
/// writes stored values the way Salesforce answers: datetimes as <c>2013-05-20T20:49:32.000+0000</c>.
/// </summary>
public static class FieldValues
{
    private static readonly string[] DateTimeFormats =
    [
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzz",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mmK", "yyyy-MM-dd",
    ];

    /// <summary>A stored datetime as Salesforce writes it: UTC, milliseconds, <c>+0000</c>.</summary>
    public static string FormatDateTime(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'+0000'", CultureInfo.InvariantCulture);

    /// <summary>Parses a datetime as Salesforce accepts it: <c>Z</c>, <c>+00:00</c>, <c>+0000</c>, no offset (UTC) or a date (midnight UTC).</summary>
    public static bool TryParseDateTime(string text, out DateTimeOffset value)
    {
        // .NET's zzz wants a colon; Salesforce's own output has none (+0000).
        var normalized = text.Length > 5 && (text[^5] == '+' || text[^5] == '-') && char.IsAsciiDigit(text[^1]) && text[^3] != ':'
            ? text[..^2] + ":" + text[^2..]
            : text;
        if (DateTimeOffset.TryParseExact(normalized, DateTimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value))
        {
            value = TruncateToMilliseconds(value.ToUniversalTime());
            return true;
        }

        return false;
    }

    /// <summary>Drops sub-millisecond ticks: Salesforce keeps milliseconds.</summary>
    public static DateTimeOffset TruncateToMilliseconds(DateTimeOffset value) =>
        new(value.UtcTicks - (value.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);

    /// <summary>The JSON form of a stored value of <paramref name="field"/>, as REST answers.</summary>
    public static JsonNode? ToJson(FieldSchema field, object? value) => value switch
    {
        null => field.Type == FieldType.Boolean ? JsonValue.Create(false) : null,
        string text => JsonValue.Create(text),
        bool flag => JsonValue.Create(flag),
        long number => JsonValue.Create(number),
        decimal number => JsonValue.Create(number),
        DateOnly date => JsonValue.Create(date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
        DateTimeOffset time => JsonValue.Create(FormatDateTime(time)),
        TimeOnly time => JsonValue.Create(time.ToString("HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)),
        _ => JsonValue.Create(Convert.ToString(value, CultureInfo.InvariantCulture)),
    };

    /// <summary>The text form of a stored value (Bulk CSV results, messages); empty for null.</summary>
    public static string ToText(object? value) => value switch
    {
        null => "",
        string text => text,
        bool flag => flag ? "true" : "false",
        DateOnly date => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DateTimeOffset time => FormatDateTime(time),
        TimeOnly time => time.ToString("HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>
    /// Converts a wire value to the stored type of <paramref name="field"/>, or explains why not with
    /// <c>INVALID_TYPE_ON_FIELD_IN_RECORD</c>. Checks of length, picklists and ranges come later.
    /// </summary>
    public static bool TryCoerce(FieldSchema field, JsonNode? node, out object? value, out SaveError? error)
    {
        value = null;
        error = null;
        if (node is null)
        {
            return true;
        }

        if (field.Type == FieldType.Multipicklist && node is JsonArray array)
        {
            value = string.Join(';', array.Select(item => item?.ToString() ?? ""));
            return true;
        }

        if (node is not JsonValue scalar)
        {
            error = NotOfType(field, node.ToJsonString());
            return false;
        }

        var kind = scalar.GetValueKind();
        var text = kind == JsonValueKind.String ? scalar.GetValue<string>() : scalar.ToJsonString();
        if (field.IsText || field.Type is FieldType.Id or FieldType.Reference)
        {
            value = text;
            return true;
        }

        switch (field.Type)
        {
            case FieldType.Boolean:
                if (kind is JsonValueKind.True or JsonValueKind.False)
                {
                    value = kind == JsonValueKind.True;
                    return true;
                }

                if (bool.TryParse(text, out var flag))
                {
                    value = flag;
                    return true;
                }

                if (text is "1" or "0")
                {
                    value = text == "1";
                    return true;
                }

                break;
            case FieldType.Int:
                if (decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var whole) && whole == decimal.Truncate(whole)
                    && whole is >= long.MinValue and <= long.MaxValue)
                {
                    value = (long)whole;
                    return true;
                }

                break;
            case FieldType.Double or FieldType.Currency or FieldType.Percent:
                if (decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
                {
                    value = number;
                    return true;
                }

                break;
            case FieldType.Date:
                if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
                {
                    value = date;
                    return true;
                }

                if (TryParseDateTime(text, out var dateTime))
                {
                    value = DateOnly.FromDateTime(dateTime.UtcDateTime);
                    return true;
                }

                break;
            case FieldType.DateTime:
                if (TryParseDateTime(text, out var moment))
                {
                    value = moment;
                    return true;
                }

                break;
            case FieldType.Time:
                if (TimeOnly.TryParse(text.TrimEnd('Z'), CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
                {
                    value = time;
                    return true;
                }

                break;
        }

        error = NotOfType(field, text);
        return false;
    }

    private static SaveError NotOfType(FieldSchema field, string text) =>
        new(StatusCodes.InvalidTypeOnFieldInRecord, $"{field.Label}: value not of required type: {text}", [field.Name]);
}
