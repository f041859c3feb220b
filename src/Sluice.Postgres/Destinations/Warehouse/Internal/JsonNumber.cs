using System.Globalization;
using System.Numerics;

namespace Sluice.Postgres.Destinations.Warehouse.Internal;

/// <summary>
/// What a JSON number's text is, decided on the digits as written and never through a binary or decimal type that
/// could round it (<c>decimal</c> holds 28 digits: it reads 0.99999999999999999999999999999 as 1, and 1e-400 as 0).
/// </summary>
internal static class JsonNumber
{
    /// <summary>PostgreSQL's numeric input refuses an exponent beyond ±1000 (NUMERIC_MAX_PRECISION in numeric.c).</summary>
    private const int MaxExponent = 1000;

    /// <summary>numeric holds up to 131072 digits before the point (https://www.postgresql.org/docs/current/datatype-numeric.html).</summary>
    private const long MaxDigitsBeforePoint = 131_072;

    /// <summary>… and up to 16383 after it (NUMERIC_DSCALE_MAX).</summary>
    private const long MaxDigitsAfterPoint = 16_383;

    /// <summary>The integer <paramref name="raw"/> stands for when it is one that fits in 64 bits (<c>1.0</c>,
    /// <c>1.5e3</c>, <c>-0</c> included), else null.</summary>
    /// <param name="raw">A JSON number as written, already validated by the parser.</param>
    public static long? AsInt64(string raw)
    {
        var (digits, exponent) = Parse(raw, out _);
        if (digits.Length == 0)
        {
            return 0;
        }

        // digits × 10^exponent, no leading or trailing zeros in digits: an integer when the exponent is not negative.
        if (exponent < 0 || digits.Length + exponent > 19)
        {
            return null;
        }

        var value = BigInteger.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture) * BigInteger.Pow(10, (int)exponent);
        if (raw[0] == '-')
        {
            value = -value;
        }

        return value >= long.MinValue && value <= long.MaxValue ? (long)value : null;
    }

    /// <summary>Whether PostgreSQL's numeric accepts <paramref name="raw"/> and holds it exactly.</summary>
    public static bool FitsNumeric(string raw)
    {
        var (digits, exponent) = Parse(raw, out var written);
        if (written.Exponent is > MaxExponent or < -MaxExponent)
        {
            return false;
        }

        var scale = written.FractionDigits - written.Exponent;
        var beforePoint = digits.Length + exponent;
        return scale <= MaxDigitsAfterPoint && beforePoint <= MaxDigitsBeforePoint;
    }

    /// <summary>The significant digits (no leading or trailing zeros; empty for zero) and the power of ten they are
    /// multiplied by; <paramref name="written"/> is the exponent and the number of fraction digits as written.</summary>
    private static (string Digits, long Exponent) Parse(string raw, out (long Exponent, long FractionDigits) written)
    {
        var text = raw.AsSpan().TrimStart('-');
        var e = text.IndexOfAny('e', 'E');
        long exponent = 0;
        if (e >= 0)
        {
            var exponentText = text[(e + 1)..];
            // A longer exponent is far past every limit; clamp it rather than overflow.
            exponent = exponentText.TrimStart("+-").Length > 9
                ? (exponentText[0] == '-' ? long.MinValue / 4 : long.MaxValue / 4)
                : long.Parse(exponentText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            text = text[..e];
        }

        var point = text.IndexOf('.');
        var integer = point < 0 ? text : text[..point];
        var fraction = point < 0 ? [] : text[(point + 1)..];
        written = (exponent, fraction.Length);
        var all = string.Concat(integer, fraction);
        var significant = all.TrimStart('0');
        var trimmed = significant.TrimEnd('0');
        return (trimmed, exponent - fraction.Length + (significant.Length - trimmed.Length));
    }
}
