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

    /// <summary>
    /// Whether the sync needs attention: its last run failed, events were lost for it lately, or its slot is over a
    /// threshold, stalled, lost or unreadable (as its connector judges it).
    /// </summary>
    public bool NeedsAttention => Problem is not null || Health?.NeedsAttention == true || LastRunFailed || LostEventsRecently;
}
