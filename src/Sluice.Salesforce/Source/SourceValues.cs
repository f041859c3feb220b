using System.Globalization;
using System.Text.Json;
using Sluice.Core.Records;

namespace Sluice.Salesforce.Source;

/// <summary>
/// A Salesforce value in the .NET type the engine carries for its column, the same whether it came from a REST query's
/// JSON or a Bulk query's CSV (so a record read either way has one fingerprint): text, <see cref="long"/>,
/// <see cref="decimal"/>, <see cref="bool"/>, <see cref="DateOnly"/>, <see cref="DateTimeOffset"/> (UTC).
/// </summary>
internal static class SourceValues
{
    /// <summary>A JSON value of a REST record; null for JSON null.</summary>
    public static object? FromJson(JsonElement value, ColumnType type) => value.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Number => type == ColumnType.Integer && value.TryGetInt64(out var whole) ? whole : value.GetDecimal(),
        JsonValueKind.String => FromText(value.GetString()!, type),
        _ => value.GetRawText(),
    };

    /// <summary>A Bulk CSV cell; Salesforce writes null as an empty cell (and has no empty text: an empty field is null).</summary>
    public static object? FromText(string text, ColumnType type)
    {
        if (text.Length == 0)
        {
            return null;
        }

        return type switch
        {
            ColumnType.Integer => long.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture),
            ColumnType.Decimal => decimal.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
            ColumnType.Boolean => text.Equals("true", StringComparison.OrdinalIgnoreCase),
            ColumnType.Date => DateOnly.Parse(text, CultureInfo.InvariantCulture),
            ColumnType.TimestampWithTimeZone => ParseInstant(text),
            _ => text,
        };
    }

    /// <summary>A Salesforce datetime (<c>…000+0000</c> from REST, <c>…000Z</c> from Bulk) as UTC.</summary>
    public static DateTimeOffset ParseInstant(string text)
    {
        // .NET's offset pattern wants a colon; Salesforce writes +0000.
        if (text.Length > 5 && (text[^5] == '+' || text[^5] == '-') && char.IsDigit(text[^1]))
        {
            text = string.Concat(text.AsSpan(0, text.Length - 2), ":", text.AsSpan(text.Length - 2));
        }

        return DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal).ToUniversalTime();
    }

    /// <summary>A datetime as a SOQL literal (UTC, milliseconds).</summary>
    public static string SoqlInstant(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>A text as a quoted SOQL literal.</summary>
    public static string SoqlText(string text) =>
        "'" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";
}
