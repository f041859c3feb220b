namespace Sluice.Core.Configuration;

/// <summary>
/// <c>attention:</c>, at the top of the file (for every sync) or in a sync (for that sync, over the top's): past which
/// numbers <c>sluice status</c>, <c>/metrics</c> and the dashboard say a sync needs attention (docs/alerting.md).
/// A failed last run, a run stopped by <c>max_rejected</c> and dead letters added by the last run always do.
/// </summary>
/// <param name="DeadLetters">More dead letters waiting than this; null: no limit (only new ones count).</param>
/// <param name="IngestBacklog">More unread events of an ingest source than this.</param>
/// <param name="IngestBacklogAge">The oldest unread event of an ingest source older than this.</param>
/// <param name="CursorAge">The checkpoint not moved for longer than this; null: no limit (a quiet source moves nothing).</param>
public sealed record AttentionThresholds(long? DeadLetters, long? IngestBacklog, TimeSpan? IngestBacklogAge, TimeSpan? CursorAge)
{
    /// <summary>The defaults: 100,000 unread events or one older than an hour; no limit on dead letters or cursor age.</summary>
    public static readonly AttentionThresholds Default = new(null, 100_000, TimeSpan.FromHours(1), null);

    /// <summary>Reads <c>attention:</c> of <paramref name="section"/> over <paramref name="fallback"/>; <c>off</c> removes a limit.</summary>
    public static AttentionThresholds Bind(ConfigSection section, AttentionThresholds fallback)
    {
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(fallback);
        if (section.GetSection("attention") is not { } alerts)
        {
            return fallback;
        }

        var thresholds = new AttentionThresholds(
            Count(alerts, "dead_letters", fallback.DeadLetters),
            Count(alerts, "ingest_backlog", fallback.IngestBacklog),
            Duration(alerts, "ingest_backlog_age", fallback.IngestBacklogAge),
            Duration(alerts, "cursor_age", fallback.CursorAge));
        alerts.RejectUnknownKeys();
        return thresholds;
    }

    private static bool Off(ConfigSection alerts, string key) =>
        string.Equals(alerts.GetString(key)?.Trim(), "off", StringComparison.OrdinalIgnoreCase);

    private static long? Count(ConfigSection alerts, string key, long? fallback) =>
        !alerts.Has(key) ? fallback : Off(alerts, key) ? null : alerts.GetInt(key, 0);

    private static TimeSpan? Duration(ConfigSection alerts, string key, TimeSpan? fallback) =>
        !alerts.Has(key) ? fallback : Off(alerts, key) ? null : alerts.GetDuration(key);
}
