using System.Globalization;

namespace Sluice.Core.Engine.TwoWay;

/// <summary>
/// How a two-way pair compares values across systems: as text, the way both store them. Salesforce stores an empty text
/// field as null, so an empty string is null on both sides; times are compared as UTC instants.
/// </summary>
public static class TwoWayValues
{
    /// <summary>A value as the pair compares it.</summary>
    public static string? Text(object? value) => value switch
    {
        null or DBNull => null,
        string s => s.Length == 0 ? null : s,
        DateTimeOffset d => d.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        DateTime d => DateTime.SpecifyKind(d, d.Kind == DateTimeKind.Unspecified ? DateTimeKind.Utc : d.Kind).ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    /// <summary>A last-modified value as a time, or <c>null</c>.</summary>
    public static DateTimeOffset? Time(object? value) => value switch
    {
        DateTimeOffset d => d,
        DateTime d => new DateTimeOffset(DateTime.SpecifyKind(d, d.Kind == DateTimeKind.Unspecified ? DateTimeKind.Utc : d.Kind)),
        string s => ParseTime(s),
        _ => null,
    };

    /// <summary>
    /// An ISO-8601 time as Salesforce writes it (<c>2024-05-01T10:00:00.000+0000</c>: an offset without a colon, which
    /// .NET does not read) or with a colon; <c>null</c> when it is none.
    /// </summary>
    public static DateTimeOffset? ParseTime(string text)
    {
        if (text.Length > 5 && (text[^5] is '+' or '-') && char.IsAsciiDigit(text[^1]) && text[^3] != ':')
        {
            text = string.Concat(text.AsSpan(0, text.Length - 2), ":", text.AsSpan(text.Length - 2));
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : null;
    }
}
