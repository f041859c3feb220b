namespace Sluice.Bench.Records;

/// <summary>
/// One <c>sluice sync</c> child process, timed from process start to exit, with the summary it printed and whether
/// the destination then equalled the model's result (rows and group memberships, compared both ways).
/// </summary>
/// <param name="Records">Records the run had to write: every record for the first run, the changed ones after.</param>
/// <param name="EngineSeconds">The run's own time as the process reports it (without start-up).</param>
/// <param name="Read">Records the run read (for an incremental run: the recomputed ones).</param>
/// <param name="Acknowledged">Records the destination acknowledged.</param>
/// <param name="Mismatched">Rows in either table that the other lacks: model result vs customers, expected vs actual groups.</param>
internal sealed record RecordsRun(
    string Name,
    string Command,
    long Records,
    double WallSeconds,
    double? EngineSeconds,
    double CpuSeconds,
    double PeakRssMegabytes,
    long? Read,
    long? Acknowledged,
    long Mismatched,
    long GroupMismatched,
    string? Summary)
{
    /// <summary>The cluster's CPU (every backend, WAL writer, checkpointer) from the process's start to its exit; null when unreadable.</summary>
    public double? PostgresCpuSeconds { get; init; }

    public double RecordsPerSecond => Records / WallSeconds;

    /// <summary>The process's user + system CPU per record it had to write, in microseconds: comparable on a loaded machine, where wall time is not.</summary>
    public double CpuMicrosecondsPerRecord => Records == 0 ? 0 : CpuSeconds * 1e6 / Records;

    public bool Correct => Mismatched == 0 && GroupMismatched == 0;
}
