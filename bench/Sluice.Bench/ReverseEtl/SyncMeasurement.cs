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

    /// <summary>User+system CPU of the Segment emulator while the sync ran (null when it could not be read).</summary>
    public double? EmulatorCpuSeconds { get; init; }

    /// <summary>User+system CPU of the PostgreSQL cluster while the sync ran: reading the rows, and the state store's commits.</summary>
    public double? PostgresCpuSeconds { get; init; }
}
