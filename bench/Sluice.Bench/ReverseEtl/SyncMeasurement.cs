namespace Sluice.Bench.ReverseEtl;

/// <summary>One <c>sluice sync --full</c> child process, timed from start to exit, and what the emulator saw.</summary>
internal sealed record SyncMeasurement(
    double WallSeconds,
    double RowsPerSecond,
    double PeakRssMegabytes,
    double CpuSeconds,
    int RssSamples,
    long? Received,
    long? Unique,
    string EmulatorStats)
{
    /// <summary>The same sync run again with nothing changed (null in results written before it was measured).</summary>
    public UnchangedMeasurement? Unchanged { get; init; }
}
