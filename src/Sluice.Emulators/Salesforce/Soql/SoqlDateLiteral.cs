namespace Sluice.Emulators.Salesforce.Soql;

/// <summary>
/// A relative date literal (<c>TODAY</c>, <c>LAST_N_DAYS:30</c>, …), resolved against the emulator's clock to a
/// half-open UTC range [<c>Start</c>, <c>End</c>). <c>field = X</c> means inside the range, <c>field &lt; X</c> before
/// its start, <c>field &gt; X</c> after its end; weeks start on Sunday (the org locale en_US).
/// </summary>
internal sealed record SoqlDateLiteral(string Name, int? N)
{
    private static readonly HashSet<string> Fixed = new(StringComparer.OrdinalIgnoreCase)
    {
        "YESTERDAY", "TODAY", "TOMORROW", "LAST_WEEK", "THIS_WEEK", "NEXT_WEEK", "LAST_MONTH", "THIS_MONTH",
        "NEXT_MONTH", "LAST_90_DAYS", "NEXT_90_DAYS", "THIS_QUARTER", "LAST_QUARTER", "NEXT_QUARTER", "THIS_YEAR",
        "LAST_YEAR", "NEXT_YEAR",
    };

    private static readonly HashSet<string> WithN = new(StringComparer.OrdinalIgnoreCase)
    {
        "LAST_N_DAYS", "NEXT_N_DAYS", "N_DAYS_AGO", "LAST_N_WEEKS", "NEXT_N_WEEKS", "N_WEEKS_AGO", "LAST_N_MONTHS",
        "NEXT_N_MONTHS", "N_MONTHS_AGO", "LAST_N_QUARTERS", "NEXT_N_QUARTERS", "LAST_N_YEARS", "NEXT_N_YEARS",
        "N_YEARS_AGO",
    };

    public static bool IsFixed(string name) => Fixed.Contains(name);

    public static bool TakesN(string name) => WithN.Contains(name);

    public override string ToString() => N is { } n ? $"{Name}:{n}" : Name;

    public (DateTimeOffset Start, DateTimeOffset End) Resolve(DateTimeOffset now)
    {
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var week = today.AddDays(-(int)today.DayOfWeek);
        var month = new DateOnly(today.Year, today.Month, 1);
        var quarter = new DateOnly(today.Year, ((today.Month - 1) / 3 * 3) + 1, 1);
        var year = new DateOnly(today.Year, 1, 1);
        var n = N ?? 0;
        var (start, end) = Name.ToUpperInvariant() switch
        {
            "YESTERDAY" => (today.AddDays(-1), today),
            "TODAY" => (today, today.AddDays(1)),
            "TOMORROW" => (today.AddDays(1), today.AddDays(2)),
            "LAST_WEEK" => (week.AddDays(-7), week),
            "THIS_WEEK" => (week, week.AddDays(7)),
            "NEXT_WEEK" => (week.AddDays(7), week.AddDays(14)),
            "LAST_MONTH" => (month.AddMonths(-1), month),
            "THIS_MONTH" => (month, month.AddMonths(1)),
            "NEXT_MONTH" => (month.AddMonths(1), month.AddMonths(2)),
            // Salesforce counts today in LAST_N_DAYS and starts NEXT_N_DAYS tomorrow.
            "LAST_90_DAYS" => (today.AddDays(-90), today.AddDays(1)),
            "NEXT_90_DAYS" => (today.AddDays(1), today.AddDays(91)),
            "THIS_QUARTER" => (quarter, quarter.AddMonths(3)),
            "LAST_QUARTER" => (quarter.AddMonths(-3), quarter),
            "NEXT_QUARTER" => (quarter.AddMonths(3), quarter.AddMonths(6)),
            "THIS_YEAR" => (year, year.AddYears(1)),
            "LAST_YEAR" => (year.AddYears(-1), year),
            "NEXT_YEAR" => (year.AddYears(1), year.AddYears(2)),
            "LAST_N_DAYS" => (today.AddDays(-n), today.AddDays(1)),
            "NEXT_N_DAYS" => (today.AddDays(1), today.AddDays(1 + n)),
            "N_DAYS_AGO" => (today.AddDays(-n), today.AddDays(1 - n)),
            "LAST_N_WEEKS" => (week.AddDays(-7 * n), week),
            "NEXT_N_WEEKS" => (week.AddDays(7), week.AddDays(7 * (n + 1))),
            "N_WEEKS_AGO" => (week.AddDays(-7 * n), week.AddDays(-7 * (n - 1))),
            "LAST_N_MONTHS" => (month.AddMonths(-n), month),
            "NEXT_N_MONTHS" => (month.AddMonths(1), month.AddMonths(1 + n)),
            "N_MONTHS_AGO" => (month.AddMonths(-n), month.AddMonths(1 - n)),
            "LAST_N_QUARTERS" => (quarter.AddMonths(-3 * n), quarter),
            "NEXT_N_QUARTERS" => (quarter.AddMonths(3), quarter.AddMonths(3 * (n + 1))),
            "LAST_N_YEARS" => (year.AddYears(-n), year),
            "NEXT_N_YEARS" => (year.AddYears(1), year.AddYears(1 + n)),
            "N_YEARS_AGO" => (year.AddYears(-n), year.AddYears(1 - n)),
            _ => throw new InvalidOperationException($"Unknown date literal {Name}."),
        };
        return (Midnight(start), Midnight(end));
    }

    private static DateTimeOffset Midnight(DateOnly date) => new(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
}
