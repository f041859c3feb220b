using System.Globalization;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.State;
using Sluice.State.Ingest;

namespace Sluice.Server.Metrics;

/// <summary>One sync of the config as <c>sluice status</c> and <c>/metrics</c> show it.</summary>
/// <param name="Schedule">The <c>schedule:</c> as written, or the default (<c>continuous</c> for CDC and ingest sources, else <c>manual</c>).</param>
/// <param name="Progress">What the state store knows; null for a sync that never ran.</param>
/// <param name="Health">What its connector watches for it (a CDC sync's slot, <see cref="IHealthReporting"/>); null otherwise, or when it could not be read (<paramref name="Problem"/>).</param>
/// <param name="Problem">Why its health could not be read (the source database unreachable), when so.</param>
public sealed record SyncHealth(string Name, string Schedule, SlotHealthSyncProgress? Progress, HealthReport? Health, string? Problem)
{
    /// <summary>How long after events were lost for a sync status still counts it as needing attention.</summary>
    public static readonly TimeSpan LostEventsAttention = TimeSpan.FromDays(1);

    /// <summary>Its last run (with the error), dead letters and failed runs; null for a sync the store never saw.</summary>
    public SyncStatus? Status { get; init; }

    /// <summary>For a sync reading an ingest source: its unread events and the events lost for it; null otherwise.</summary>
    public IngestBacklog? Ingest { get; init; }

    /// <summary>When the snapshot was taken, to judge how recent a loss is.</summary>
    public DateTimeOffset At { get; init; }

    /// <summary>Whether the sync's latest run failed (a later run that succeeds clears it).</summary>
    public bool LastRunFailed => Status?.LastRunFailed ?? Progress?.LastRunStatus == "failed";

    /// <summary>Whether events of its ingest source were deleted unread for it within <see cref="LostEventsAttention"/>.</summary>
    public bool LostEventsRecently => Ingest is { Lost: > 0, LastLostAt: { } at } && At - at < LostEventsAttention;

    /// <summary>Past which numbers it needs attention: its <c>attention:</c> over the config's.</summary>
    public AttentionThresholds Attention { get; init; } = AttentionThresholds.Default;

    /// <summary>Whether the sync needs attention: any of <see cref="Reasons"/>.</summary>
    public bool NeedsAttention => Reasons.Count > 0;

    /// <summary>
    /// Why the sync needs attention, each reason once: the one evaluation behind <c>sluice status</c>'s exit code,
    /// <c>sluice_sync_needs_attention</c> and the dashboard. Its health unreadable; its slot over a threshold, stalled
    /// or lost (as its connector judges it); its last run failed, or was stopped by <c>max_rejected</c>; dead letters
    /// the last run added; events lost lately; and the numbers over its <see cref="Attention"/>.
    /// </summary>
    public IReadOnlyList<AttentionReason> Reasons => Evaluate();

    private List<AttentionReason> Evaluate()
    {
        var reasons = new List<AttentionReason>();
        if (Problem is not null)
        {
            reasons.Add(new("problem", Problem));
        }

        if (Health is { NeedsAttention: true } health)
        {
            reasons.AddRange(health.Messages.Count > 0
                ? health.Messages.Select(m => new AttentionReason("slot", m))
                : [new AttentionReason("slot", $"{health.Subject} is {health.StateText}")]);
        }

        if (LastRunFailed)
        {
            var error = Status?.FailureError ?? "no error recorded";
            reasons.Add(error.Contains("max_rejected", StringComparison.Ordinal)
                ? new("max_rejected", $"last run stopped by max_rejected: {error}")
                : new("failed", $"last run failed: {error}"));
        }

        if (Status is { LastRunDeadLetters: > 0 } added)
        {
            reasons.Add(new("dead_letters_added", Text($"the last run added {added.LastRunDeadLetters:N0} dead letters (see them with `sluice dlq list {Name}`)")));
        }

        if (Attention.DeadLetters is { } maxDeadLetters && Status is { } status && status.DeadLetters > maxDeadLetters)
        {
            reasons.Add(new("dead_letters", Text($"{status.DeadLetters:N0} dead letters waiting, over attention.dead_letters {maxDeadLetters:N0}")));
        }

        if (LostEventsRecently)
        {
            reasons.Add(new("events_lost", Text($"{Ingest!.Lost:N0} events of ingest source '{Ingest.Source}' were deleted before it read them (over max_backlog), the last {Ago(Ingest.LastLostAt!.Value)}")));
        }

        if (Ingest is { } backlog && Attention.IngestBacklog is { } maxBacklog && backlog.Events > maxBacklog)
        {
            reasons.Add(new("ingest_backlog", Text($"{backlog.Events:N0} events of ingest source '{backlog.Source}' unread, over attention.ingest_backlog {maxBacklog:N0}")));
        }

        if (Ingest is { OldestReceivedAt: { } oldest } unread && Attention.IngestBacklogAge is { } maxAge && At - oldest > maxAge)
        {
            reasons.Add(new("ingest_backlog_age", $"the oldest unread event of ingest source '{unread.Source}' arrived {Ago(oldest)}, over attention.ingest_backlog_age {HealthText.Duration(maxAge.TotalSeconds)}"));
        }

        if (Progress?.CheckpointUpdatedAt is { } moved && Attention.CursorAge is { } maxCursorAge && At - moved > maxCursorAge)
        {
            reasons.Add(new("cursor_age", $"the checkpoint last moved {Ago(moved)}, over attention.cursor_age {HealthText.Duration(maxCursorAge.TotalSeconds)}"));
        }

        return reasons;
    }

    private static string Text(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private string Ago(DateTimeOffset at) => HealthText.Duration((At - at).TotalSeconds) + " ago";
}
