using System.Globalization;

namespace Sluice.Postgres.Destinations.Records;

/// <summary>How a condition compares a property's value with a literal.</summary>
internal static class GroupValues
{
    /// <summary>The order of two non-null values; null when they cannot be compared (text with a number, say), which reads as unknown.</summary>
    public static int? Compare(object a, object b)
    {
        if (Number(a) is { } x && Number(b) is { } y)
        {
            return x.CompareTo(y);
        }

        if (a is bool p && b is bool q)
        {
            return p.CompareTo(q);
        }

        if (Instant(a) is { } s && Instant(b) is { } t)
        {
            return s.CompareTo(t);
        }

        if (a is string or char or Guid && b is string or char or Guid)
        {
            return string.CompareOrdinal(Convert.ToString(a, CultureInfo.InvariantCulture), Convert.ToString(b, CultureInfo.InvariantCulture)) switch
            {
                < 0 => -1,
                > 0 => 1,
                _ => 0,
            };
        }

        return null;
    }

    private static double? Number(object value) => value switch
    {
        byte or sbyte or short or ushort or int or uint or long or ulong or float or double or decimal => Convert.ToDouble(value, CultureInfo.InvariantCulture),
        _ => null,
    };

    /// <summary>A time, or a text that reads as one (a literal compared with a timestamp property).</summary>
    private static DateTimeOffset? Instant(object value) => value switch
    {
        DateTimeOffset offset => offset,
        DateTime time => time.Kind == DateTimeKind.Unspecified ? new DateTimeOffset(time, TimeSpan.Zero) : new DateTimeOffset(time),
        DateOnly date => new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero),
        string text when DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) => parsed,
        _ => null,
    };
}
