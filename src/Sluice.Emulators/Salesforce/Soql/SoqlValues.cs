using System.Globalization;

namespace Sluice.Emulators.Salesforce.Soql;

/// <summary>
/// How SOQL compares values: text and 18-character ids ignoring case, 15-character ids by case against the first 15
/// characters, numbers by value whatever their CLR type, dates and datetimes as instants (a date at midnight UTC).
/// </summary>
internal static class SoqlValues
{
    public static bool AreEqual(object? value, object? literal, SoqlValueKind kind)
    {
        if (value is null || literal is null)
        {
            return value is null && literal is null;
        }

        if (kind == SoqlValueKind.Id && value is string id && literal is string wanted)
        {
            return wanted.Length == 15
                ? id.Length >= 15 && string.CompareOrdinal(id, 0, wanted, 0, 15) == 0
                : string.Equals(id, wanted, StringComparison.OrdinalIgnoreCase);
        }

        return Compare(value, literal) == 0;
    }

    /// <summary>Orders two non-null values of one field; text ignores case.</summary>
    public static int Compare(object value, object other)
    {
        switch (value)
        {
            case string text:
                return string.Compare(text, other as string ?? Convert.ToString(other, CultureInfo.InvariantCulture), StringComparison.OrdinalIgnoreCase);
            case bool flag:
                return flag.CompareTo(other is bool b && b);
            case DateOnly or DateTimeOffset or DateTime:
                return ToInstant(value).CompareTo(ToInstant(other));
            case TimeOnly time when other is TimeOnly otherTime:
                return time.CompareTo(otherTime);
            default:
                if (IsNumber(value) && IsNumber(other))
                {
                    return ToDecimal(value).CompareTo(ToDecimal(other));
                }

                return string.Compare(Convert.ToString(value, CultureInfo.InvariantCulture), Convert.ToString(other, CultureInfo.InvariantCulture), StringComparison.OrdinalIgnoreCase);
        }
    }

    public static DateTimeOffset ToInstant(object value) => value switch
    {
        DateTimeOffset instant => instant,
        DateOnly date => new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero),
        DateTime time => new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc)),
        string text => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
        _ => throw new InvalidOperationException($"{value} is no date."),
    };

    private static bool IsNumber(object value) => value is decimal or double or float or int or long or short or byte;

    private static decimal ToDecimal(object value) => value switch
    {
        decimal d => d,
        double d => (decimal)d,
        float f => (decimal)f,
        _ => Convert.ToDecimal(value, CultureInfo.InvariantCulture),
    };
}
