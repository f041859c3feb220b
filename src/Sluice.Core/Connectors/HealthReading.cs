namespace Sluice.Core.Connectors;

/// <summary>What one connector reported (<see cref="IHealthReporting.ReadHealthAsync"/>).</summary>
/// <param name="Reports">One per watched sync, and one per finding that belongs to no sync.</param>
/// <param name="SyncProblems">Syncs whose health could not be read (their database unreachable), with why.</param>
/// <param name="Problems">Other things that could not be read (a connection searched for forgotten slots), one line each.</param>
public sealed record HealthReading(
    IReadOnlyList<HealthReport> Reports,
    IReadOnlyDictionary<string, string> SyncProblems,
    IReadOnlyList<string> Problems);
