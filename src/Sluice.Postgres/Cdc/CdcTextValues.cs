using System.Globalization;
using System.Text;
using Sluice.Core.Records;

namespace Sluice.Postgres.Cdc;

/// <summary>
/// Turns a value's text, as <c>pgoutput</c> writes it (the type's output function, under the replication session's
/// <c>DateStyle=ISO</c> and <c>TimeZone=UTC</c>), into the value the table and query sources read with the driver, so
/// that a destination encodes a streamed row like a copied one. A value that does not parse becomes an
/// <see cref="UnreadableValue"/>: the record is dead-lettered, the stream goes on.
/// </summary>
internal static class CdcTextValues
{
    private static readonly string[] TimestampFormats = ["yyyy-MM-dd HH:mm:ss.FFFFFFF", "yyyy-MM-dd HH:mm:ss"];
    private static readonly string[] TimestampTzFormats = ["yyyy-MM-dd HH:mm:ss.FFFFFFFzzz", "yyyy-MM-dd HH:mm:sszzz"];

    public static object? Parse(string? text, CdcValueType type, string column)
    {
        if (text is null)
        {
            return null;
        }

        var value = type.Kind == CdcValueKind.Array ? ParseArray(text, type.Element) : ParseScalar(text, type.Kind);
        return value ?? new UnreadableValue($"column '{column}': cannot read '{Shorten(text)}' as {type.Kind}");
    }

    /// <summary>The value, or null when the text does not parse (a NULL never reaches here).</summary>
    private static object? ParseScalar(string text, CdcValueKind kind)
    {
        var invariant = CultureInfo.InvariantCulture;
        switch (kind)
        {
            case CdcValueKind.Int16:
                return short.TryParse(text, NumberStyles.AllowLeadingSign, invariant, out var int16) ? int16 : null;
            case CdcValueKind.Int32:
                return int.TryParse(text, NumberStyles.AllowLeadingSign, invariant, out var int32) ? int32 : null;
            case CdcValueKind.Int64:
                return long.TryParse(text, NumberStyles.AllowLeadingSign, invariant, out var int64) ? int64 : null;
            case CdcValueKind.Float4:
                return float.TryParse(text, NumberStyles.Float, invariant, out var float4) ? float4 : null;
            case CdcValueKind.Float8:
                return double.TryParse(text, NumberStyles.Float, invariant, out var float8) ? float8 : null;
            case CdcValueKind.Numeric:
                // NaN, ±Infinity and numbers beyond a decimal's 28 digits are unreadable, as they are for the driver.
                return decimal.TryParse(text, NumberStyles.Number, invariant, out var number) ? number : null;
            case CdcValueKind.Boolean:
                // The output function writes t and f; a cast to text writes true and false.
                return text switch { "t" or "true" => true, "f" or "false" => false, _ => null };
            case CdcValueKind.TimestampTz:
                return text switch
                {
                    // The driver's default: ±infinity are DateTime's extremes.
                    "infinity" => DateTime.MaxValue,
                    "-infinity" => DateTime.MinValue,
                    _ => DateTimeOffset.TryParseExact(WithFullOffset(text), TimestampTzFormats, invariant, DateTimeStyles.None, out var at) ? at.UtcDateTime : null,
                };
            case CdcValueKind.Timestamp:
                return text switch
                {
                    "infinity" => DateTime.MaxValue,
                    "-infinity" => DateTime.MinValue,
                    _ => DateTime.TryParseExact(text, TimestampFormats, invariant, DateTimeStyles.None, out var at) ? at : null,
                };
            case CdcValueKind.Date:
                return text switch
                {
                    "infinity" => DateOnly.MaxValue,
                    "-infinity" => DateOnly.MinValue,
                    _ => DateOnly.TryParseExact(text, "yyyy-MM-dd", invariant, DateTimeStyles.None, out var day) ? day : null,
                };
            case CdcValueKind.Uuid:
                return Guid.TryParse(text, out var id) ? id : null;
            default:
                return text;
        }
    }

    /// <summary>PostgreSQL writes a whole-hour offset as <c>+00</c>; .NET's <c>zzz</c> wants <c>+00:00</c>.</summary>
    private static string WithFullOffset(string text)
    {
        var sign = Math.Max(text.LastIndexOf('+'), text.LastIndexOf('-'));
        return sign > 10 && text.Length - sign == 3 ? text + ":00" : text;
    }

    /// <summary>
    /// An array literal (<c>{1,2,NULL}</c>, <c>{"a b","c\"d"}</c>, <c>{{1,2},{3,4}}</c>) as nested arrays of element
    /// values; null when it is not one (or has explicit bounds, <c>[0:1]={…}</c>, which a list cannot keep).
    /// </summary>
    private static object?[]? ParseArray(string text, CdcValueKind element)
    {
        var at = 0;
        var parsed = ParseLevel(text, ref at, element);
        return parsed is not null && at == text.Length ? parsed : null;
    }

    private static object?[]? ParseLevel(string text, ref int at, CdcValueKind element)
    {
        if (at >= text.Length || text[at] != '{')
        {
            return null;
        }

        at++;
        var items = new List<object?>();
        if (at < text.Length && text[at] == '}')
        {
            at++;
            return [];
        }

        while (at < text.Length)
        {
            if (text[at] == '{')
            {
                var inner = ParseLevel(text, ref at, element);
                if (inner is null)
                {
                    return null;
                }

                items.Add(inner);
            }
            else
            {
                var quoted = text[at] == '"';
                var item = quoted ? ReadQuoted(text, ref at) : ReadBare(text, ref at);
                if (item is null)
                {
                    return null;
                }

                if (!quoted && item.Equals("NULL", StringComparison.OrdinalIgnoreCase))
                {
                    items.Add(null);
                }
                else if (ParseScalar(item, element) is { } value)
                {
                    items.Add(value);
                }
                else
                {
                    return null;
                }
            }

            if (at >= text.Length)
            {
                return null;
            }

            // Every built-in type but box separates elements with a comma.
            if (text[at] == ',')
            {
                at++;
                continue;
            }

            if (text[at] == '}')
            {
                at++;
                return items.ToArray();
            }

            return null;
        }

        return null;
    }

    private static string? ReadQuoted(string text, ref int at)
    {
        var value = new StringBuilder();
        at++;
        while (at < text.Length)
        {
            var c = text[at++];
            if (c == '"')
            {
                return value.ToString();
            }

            if (c == '\\')
            {
                if (at >= text.Length)
                {
                    return null;
                }

                c = text[at++];
            }

            value.Append(c);
        }

        return null;
    }

    private static string? ReadBare(string text, ref int at)
    {
        var start = at;
        while (at < text.Length && text[at] is not (',' or '}'))
        {
            at++;
        }

        return at > start ? text[start..at] : null;
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
