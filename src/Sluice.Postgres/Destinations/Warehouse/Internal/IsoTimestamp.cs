using System.Globalization;
using System.Text.RegularExpressions;

namespace Sluice.Postgres.Destinations.Warehouse.Internal;

/// <summary>
/// Which strings are timestamps. Segment does not document its rule; RudderStack uses an ISO-8601 regex with
/// years 0001–9999. Ours is stricter on purpose: a date AND a time are required, and the date-time must exist
/// (no 30 February, no hour 24), so every string we call a timestamp is one PostgreSQL accepts. A string without
/// a zone is read as UTC, never in the loading session's time zone.
/// </summary>
internal static partial class IsoTimestamp
{
    private const int MaxOffsetHours = 14; // UTC+14:00 (Kiribati) is the widest offset in use.

    public static bool TryParse(string text, out DateTimeOffset utc)
    {
        utc = default;

        // Most strings of an event are not timestamps: one look at the first five characters rules them out before the
        // regular expression runs.
        if (text.Length < 16 || !char.IsAsciiDigit(text[0]) || !char.IsAsciiDigit(text[3]) || text[4] != '-')
        {
            return false;
        }

        var match = Pattern().Match(text);
        if (!match.Success)
        {
            return false;
        }

        var g = match.Groups;
        var year = Int(g["year"]);
        var month = Int(g["month"]);
        var day = Int(g["day"]);
        var hour = Int(g["hour"]);
        var minute = Int(g["minute"]);
        var second = g["second"].Success ? Int(g["second"]) : 0;
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month)
            || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }

        var offset = TimeSpan.Zero;
        if (g["offsetHours"].Success)
        {
            var offsetHours = Int(g["offsetHours"]);
            var offsetMinutes = g["offsetMinutes"].Success ? Int(g["offsetMinutes"]) : 0;
            if (offsetHours > MaxOffsetHours || offsetMinutes > 59)
            {
                return false;
            }

            offset = new TimeSpan(offsetHours, offsetMinutes, 0);
            if (g["sign"].ValueSpan is "-")
            {
                offset = -offset;
            }
        }

        // Ticks are 100 ns: digits past the seventh are dropped (PostgreSQL keeps microseconds anyway).
        var fraction = g["fraction"];
        var ticks = 0L;
        if (fraction.Success)
        {
            var digits = fraction.ValueSpan[..Math.Min(fraction.Length, 7)];
            ticks = long.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
            for (var i = digits.Length; i < 7; i++)
            {
                ticks *= 10;
            }
        }

        try
        {
            var local = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified).AddTicks(ticks);
            utc = new DateTimeOffset(local, offset).ToUniversalTime();
            return true;
        }
        catch (ArgumentOutOfRangeException)
        {
            return false; // the offset moves it out of 0001–9999
        }
    }

    /// <summary>The form written to PostgreSQL: UTC, ISO-8601, no trailing zeros in the fraction.</summary>
    public static string Format(DateTimeOffset utc) =>
        utc.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    private static int Int(Group group) => int.Parse(group.ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture);

    [GeneratedRegex(
        "^(?<year>[0-9]{4})-(?<month>[0-9]{2})-(?<day>[0-9]{2})[Tt ](?<hour>[0-9]{2}):(?<minute>[0-9]{2})" +
        "(?::(?<second>[0-9]{2})(?:\\.(?<fraction>[0-9]{1,9}))?)?" +
        "(?:[Zz]|(?<sign>[+-])(?<offsetHours>[0-9]{2})(?::?(?<offsetMinutes>[0-9]{2}))?)?$",
        RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
