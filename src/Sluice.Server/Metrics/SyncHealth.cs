using Sluice.Postgres.Cdc;

namespace Sluice.Server.Metrics;

/// <summary>One sync of the config as <c>sluice status</c> and <c>/metrics</c> show it.</summary>
/// <param name="Schedule">The <c>schedule:</c> as written, or the default (<c>continuous</c> for CDC, else <c>manual</c>).</param>
/// <param name="Progress">What the state store knows; null for a sync that never ran.</param>
/// <param name="Slot">For a CDC sync, its slot judged against its thresholds; null otherwise, or when it could not be read (<paramref name="Problem"/>).</param>
/// <param name="Problem">Why the slot could not be read (the source database unreachable), when so.</param>
public sealed record SyncHealth(string Name, string Schedule, SlotHealthSyncProgress? Progress, SlotHealthReport? Slot, string? Problem)
{
    /// <summary>Whether the sync needs attention: its slot over a threshold, stalled or lost, or unreadable.</summary>
    public bool NeedsAttention => Problem is not null || Slot?.OverThreshold == true;
}
