namespace Sluice.Server.Metrics;

/// <summary>Every sync of the config and every orphaned Sluice slot or publication, at one moment.</summary>
/// <param name="Problems">Connections that could not be searched for orphans, one line each.</param>
public sealed record SyncHealthSnapshot(DateTimeOffset At, IReadOnlyList<SyncHealth> Syncs, IReadOnlyList<OrphanedCdcObject> Orphans, IReadOnlyList<string> Problems)
{
    /// <summary>Whether anything needs attention: <c>sluice status</c> exits 1 then.</summary>
    public bool NeedsAttention => Syncs.Any(s => s.NeedsAttention) || Orphans.Count > 0 || Problems.Count > 0;
}
