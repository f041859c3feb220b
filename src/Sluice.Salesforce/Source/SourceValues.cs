using System.Globalization;
using System.Text;
using System.Text.Json;
using Sluice.Core.Records;
using Sluice.Salesforce.Bulk;

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
            ColumnType.Date => ParseDate(text),
            ColumnType.TimestampWithTimeZone => ParseInstant(text),
            _ => text,
        };
    }

    /// <summary>
    /// A cell of a Bulk results row, the same value <see cref="FromText"/> makes of its text, parsed from its UTF-8 bytes
    /// where that saves a string: only text becomes one.
    /// </summary>
    public static object? FromUtf8Cell(Utf8CsvReader cells, int cell, ColumnType type)
    {
        if (cells.IsEmpty(cell))
        {
            return null;
        }

        if (type == ColumnType.Text || !cells.TryGetSpan(cell, out var bytes))
        {
            return FromText(cells.GetString(cell), type);
        }

        switch (type)
        {
            case ColumnType.Integer:
                return long.Parse(bytes, NumberStyles.Integer, CultureInfo.InvariantCulture);
            case ColumnType.Decimal:
                return decimal.Parse(bytes, NumberStyles.Float, CultureInfo.InvariantCulture);
            case ColumnType.Boolean:
                return Ascii.EqualsIgnoreCase(bytes, "true"u8);
            case ColumnType.Date or ColumnType.TimestampWithTimeZone when bytes.Length <= 32:
                // Every date and datetime Salesforce writes is ASCII of a fixed shape: widened on the stack, not decoded into a string.
                Span<char> chars = stackalloc char[32];
                if (Ascii.ToUtf16(bytes, chars, out var written) == System.Buffers.OperationStatus.Done)
                {
                    chars = chars[..written];
                    if (type == ColumnType.Date && TryParseFixedDate(chars, out var date))
                    {
                        return date;
                    }

                    if (type == ColumnType.TimestampWithTimeZone && TryParseFixedInstant(chars, out var instant))
                    {
                        return instant;
                    }
                }

                return FromText(cells.GetString(cell), type);
            default:
                return FromText(cells.GetString(cell), type);
        }
    }

    /// <summary>A Salesforce datetime (<c>…000+0000</c> from REST, <c>…000Z</c> from Bulk) as UTC.</summary>
    public static DateTimeOffset ParseInstant(string text)
    {
        // Salesforce writes every datetime in one of two fixed shapes; reading them digit by digit costs a tenth of
        // DateTimeOffset.Parse, and a load reads two a record (SystemModstamp, CreatedDate) besides the sync's own.
        if (TryParseFixedInstant(text, out var instant))
        {
            return instant;
        }

        // .NET's offset pattern wants a colon; Salesforce writes +0000.
        if (text.Length > 5 && (text[^5] == '+' || text[^5] == '-') && char.IsDigit(text[^1]))
        {
            text = string.Concat(text.AsSpan(0, text.Length - 2), ":", text.AsSpan(text.Length - 2));
        }

        return DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal).ToUniversalTime();
    }

    /// <summary><c>yyyy-MM-ddTHH:mm:ss.fffZ</c> or <c>yyyy-MM-ddTHH:mm:ss.fff+0000</c>; false for any other shape.</summary>
    private static bool TryParseFixedInstant(ReadOnlySpan<char> text, out DateTimeOffset instant)
    {
        instant = default;
        var utc = (text.Length == 24 && text[23] == 'Z') || (text.Length == 28 && text.EndsWith("+0000", StringComparison.Ordinal));
        if (!utc || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' || text[16] != ':' || text[19] != '.')
        {
            return false;
        }

        if (!Digits(text, 0, 4, out var year) || !Digits(text, 5, 2, out var month) || !Digits(text, 8, 2, out var day)
            || !Digits(text, 11, 2, out var hour) || !Digits(text, 14, 2, out var minute) || !Digits(text, 17, 2, out var second)
            || !Digits(text, 20, 3, out var millisecond)
            || year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }

        instant = new DateTimeOffset(year, month, day, hour, minute, second, millisecond, TimeSpan.Zero);
        return true;
    }

    /// <summary>A Salesforce date (<c>yyyy-MM-dd</c>).</summary>
    private static DateOnly ParseDate(string text) => TryParseFixedDate(text, out var date) ? date : DateOnly.Parse(text, CultureInfo.InvariantCulture);

    private static bool TryParseFixedDate(ReadOnlySpan<char> text, out DateOnly date)
    {
        if (text.Length == 10 && text[4] == '-' && text[7] == '-' && Digits(text, 0, 4, out var year) && Digits(text, 5, 2, out var month) && Digits(text, 8, 2, out var day)
            && year >= 1 && month is >= 1 and <= 12 && day >= 1 && day <= DateTime.DaysInMonth(year, month))
        {
            date = new DateOnly(year, month, day);
            return true;
        }

        date = default;
        return false;
    }

    private static bool Digits(ReadOnlySpan<char> text, int start, int count, out int value)
    {
        value = 0;
        for (var i = start; i < start + count; i++)
        {
            var digit = text[i] - '0';
            if ((uint)digit > 9)
            {
                return false;
            }

            value = (value * 10) + digit;
        }

        return true;
    }

    /// <summary>A datetime as a SOQL literal (UTC, milliseconds).</summary>
    public static string SoqlInstant(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>A text as a quoted SOQL literal.</summary>
    public static string SoqlText(string text) =>
        "'" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";
}
