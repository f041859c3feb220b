using Cronos;

namespace Sluice.Core.Configuration;

/// <summary>
/// <c>schedule: cron 0 3 * * *</c>: a run at each time a standard five-field cron expression (minute, hour, day of
/// month, month, day of week; or a macro such as <c>@daily</c>) names, read in UTC, or in the IANA time zone written
/// after it: <c>cron 0 3 * * * Europe/Paris</c>. Times are computed by Cronos, which follows the zone's daylight-saving
/// changes: a time the clocks skip runs at the moment they jump, a time they pass twice runs once.
/// </summary>
public sealed class CronSchedule
{
    private readonly CronExpression _expression;
    private readonly bool _zoneWritten;

    private CronSchedule(string expression, CronExpression parsed, TimeZoneInfo zone, bool zoneWritten)
    {
        Expression = expression;
        _expression = parsed;
        TimeZone = zone;
        _zoneWritten = zoneWritten;
    }

    /// <summary>The cron expression as written, without the time zone.</summary>
    public string Expression { get; }

    /// <summary>The zone the expression's times are read in; UTC unless one is written.</summary>
    public TimeZoneInfo TimeZone { get; }

    /// <summary>The first time after <paramref name="instant"/> (never at it) the expression names; null if there is none.</summary>
    public DateTimeOffset? NextAfter(DateTimeOffset instant) => _expression.GetNextOccurrence(instant, TimeZone);

    public override string ToString() => _zoneWritten ? $"cron {Expression} {TimeZone.Id}" : $"cron {Expression}";

    /// <summary>Reads what follows <c>cron </c>: the expression, then optionally a time zone.</summary>
    internal static bool TryParse(string text, out CronSchedule? schedule, out string problem, out string fix)
    {
        schedule = null;
        problem = "";
        fix = "";
        var words = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        // A macro (@daily, @hourly, …) is one word; an expression is five. Seconds (a sixth field) are not offered:
        // Sluice's runs last longer than that, and six words would read both as seconds and as five fields and a zone.
        var fields = words.Length > 0 && words[0].StartsWith('@') ? 1 : 5;
        if (words.Length < fields || words.Length > fields + 1)
        {
            problem = words.Length < fields
                ? $"a cron expression has five fields (minute hour day-of-month month day-of-week), and this one has {words.Length}"
                : $"after the five cron fields only a time zone may follow, and this has {words.Length - fields} more words";
            fix = "write e.g. 'cron 0 3 * * *' (every day at 03:00 UTC) or 'cron 0 3 * * * Europe/Paris' (03:00 in Paris)";
            return false;
        }

        var expression = string.Join(' ', words.Take(fields));
        CronExpression parsed;
        try
        {
            parsed = CronExpression.Parse(expression);
        }
        catch (CronFormatException e)
        {
            problem = $"'{expression}' is not a cron expression: {e.Message.TrimEnd('.')}";
            fix = "the fields are minute (0-59), hour (0-23), day of month (1-31), month (1-12) and day of week (0-6, Sunday = 0), e.g. 'cron 30 2 * * 1-5'";
            return false;
        }

        var zone = TimeZoneInfo.Utc;
        if (words.Length > fields)
        {
            var id = words[^1];
            try
            {
                zone = TimeZoneInfo.FindSystemTimeZoneById(id);
            }
            catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
            {
                problem = $"'{id}' is not a time zone this machine knows";
                fix = "write an IANA time zone such as Europe/Paris, America/New_York or UTC (the tz database must be installed: the tzdata package)";
                return false;
            }
        }

        schedule = new CronSchedule(expression, parsed, zone, words.Length > fields);
        return true;
    }
}
