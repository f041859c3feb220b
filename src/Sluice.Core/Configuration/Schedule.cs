using System.Globalization;

namespace Sluice.Core.Configuration;

/// <summary>
/// When <c>sluice run</c> starts a sync: <c>manual</c> (never by itself; the default for a source that reads and
/// ends), <c>every 30s</c> / <c>every 5m</c> / <c>every 1h</c>, counted from the end of the previous run,
/// <c>cron 0 3 * * *</c> (at each time the cron expression names, in UTC or the time zone written after it:
/// <c>cron 0 3 * * * Europe/Paris</c>; see <see cref="CronSchedule"/>), or <c>continuous</c> (always running, restarted
/// after a failure; the default for a streaming source: CDC, ingest), or <c>once</c> (started by <c>sluice run</c> until
/// one run has succeeded, then never again: the state store remembers it across restarts; <c>sluice sync</c> still runs it).
/// </summary>
public sealed record Schedule(TimeSpan? Interval, bool IsContinuous = false)
{
    public static readonly Schedule Manual = new((TimeSpan?)null);

    public static readonly Schedule Continuous = new(null, IsContinuous: true);

    /// <summary><c>once</c>: one successful run, ever.</summary>
    public static readonly Schedule Once = new((TimeSpan?)null) { IsOnce = true };

    /// <summary>Set for <c>once</c>: <c>sluice run</c> starts the sync unless a run of it has already succeeded.</summary>
    public bool IsOnce { get; init; }

    /// <summary>Set for a <c>cron …</c> schedule (then <see cref="Interval"/> is null).</summary>
    public CronSchedule? Cron { get; init; }

    public bool IsManual => Interval is null && !IsContinuous && Cron is null && !IsOnce;

    /// <summary>
    /// Whether the schedule starts runs at times of its own (<c>every</c>, <c>cron</c>, <c>once</c>): meaningless for a
    /// source that streams, whose one run never ends.
    /// </summary>
    public bool IsTimed => Interval is not null || Cron is not null || IsOnce;

    public override string ToString() =>
        IsContinuous ? "continuous" : IsOnce ? "once" : Interval is { } i ? $"every {Format(i)}" : Cron is { } cron ? cron.ToString() : "manual";

    public static Schedule Parse(SyncConfig sync) => Parse(sync.Section);

    /// <summary>The <c>schedule:</c> key of <paramref name="section"/> (a sync's, or an alert's).</summary>
    public static Schedule Parse(ConfigSection section)
    {
        var text = section.GetString("schedule")?.Trim();
        if (string.IsNullOrEmpty(text) || text.Equals("manual", StringComparison.OrdinalIgnoreCase))
        {
            return Manual;
        }

        if (text.Equals("continuous", StringComparison.OrdinalIgnoreCase))
        {
            return Continuous;
        }

        if (text.Equals("once", StringComparison.OrdinalIgnoreCase))
        {
            return Once;
        }

        var location = section.LocationOf("schedule");
        var shown = section.Show("schedule", $"'{text}'");
        const string fix = "write 'manual', 'once', 'continuous', 'every <duration>' (e.g. 'every 30s', 'every 5m', 'every 1h30m') or 'cron <minute hour day month weekday> [time zone]' (e.g. 'cron 0 3 * * * Europe/Paris')";
        if (text.StartsWith("cron ", StringComparison.OrdinalIgnoreCase))
        {
            return CronSchedule.TryParse(text[5..], out var cron, out var problem, out var cronFix)
                ? new Schedule((TimeSpan?)null) { Cron = cron }
                : throw new ConfigException(location, $"schedule {shown}: {problem}", cronFix);
        }

        if (!text.StartsWith("every ", StringComparison.OrdinalIgnoreCase))
        {
            throw new ConfigException(location, $"schedule {shown} is not understood", fix);
        }

        if (!DurationParser.TryParse(text[6..].Trim(), out var interval) || interval <= TimeSpan.Zero)
        {
            throw new ConfigException(location, $"schedule {shown} is not understood", fix);
        }

        if (interval < TimeSpan.FromSeconds(1))
        {
            throw new ConfigException(location, $"schedule {shown} is shorter than a second", "use at least 'every 1s'");
        }

        return new Schedule(interval);
    }

    private static string Format(TimeSpan interval) =>
        interval.TotalDays >= 1 && interval.TotalDays % 1 == 0 ? $"{interval.TotalDays}d"
        : interval.TotalHours >= 1 && interval.TotalHours % 1 == 0 ? $"{interval.TotalHours}h"
        : interval.TotalMinutes >= 1 && interval.TotalMinutes % 1 == 0 ? $"{interval.TotalMinutes}m"
        : $"{interval.TotalSeconds}s";
}
