using Sluice.Core.Connectors;

namespace Sluice.Server.Metrics;

/// <summary>Every sync of the config, and what connectors found that belongs to no sync (a forgotten slot), at one moment.</summary>
/// <param name="Findings">Connector reports that belong to no sync (<see cref="HealthReport.Sync"/> null): each needs attention.</param>
/// <param name="Problems">What could not be read (a connection searched for forgotten slots), one line each.</param>
public sealed record SyncHealthSnapshot(DateTimeOffset At, IReadOnlyList<SyncHealth> Syncs, IReadOnlyList<HealthReport> Findings, IReadOnlyList<string> Problems)
{
    /// <summary>The series the reports' lines fill, as their connectors declare them.</summary>
    public IReadOnlyList<HealthMetric> Metrics { get; init; } = [];

    /// <summary>Whether anything needs attention: <c>sluice status</c> exits 1 then.</summary>
    public bool NeedsAttention => Syncs.Any(s => s.NeedsAttention) || Findings.Count > 0 || Problems.Count > 0;
}
