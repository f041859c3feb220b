namespace Sluice.Bench.Ingest;

/// <summary>
/// One <c>sluice run</c> process fed to saturation: what it accepted, and, when a sync ran, how fast the events
/// landed in its destination — from the first request of the load to the moment the destination held them all.
/// </summary>
/// <param name="Destination">The table counted for landing (null: no sync ran).</param>
/// <param name="Landed">Events of the load (the warm-up not counted) the destination held at the end.</param>
/// <param name="Tables">Rows per table of the destination at the end, warm-up included (the warehouse: tracks and one table per event).</param>
/// <param name="LandedSeconds">From the load's first request to the destination holding every accepted event.</param>
/// <param name="ProbeTrusted">Whether landing was timed by key probes every 100 ms (true) or by counts every 500 ms.</param>
/// <param name="CpuSeconds">User+system CPU of the sluice process over the whole phase (warm-up, load, landing).</param>
internal sealed record IngestPhase(
    string Name,
    AcceptRun Accept,
    string? Destination,
    long? Landed,
    double? LandedSeconds,
    bool? ProbeTrusted,
    double CpuSeconds,
    double PeakRssMegabytes,
    IReadOnlyDictionary<string, long>? Tables)
{
    public double? LandedPerSecond => LandedSeconds is { } s && Landed is { } n ? n / s : null;

    /// <summary>User+system CPU of the sluice process when the destination held every event (before any latency phase).</summary>
    public double? CpuAtLandedSeconds { get; init; }

    /// <summary>
    /// User+system CPU of the PostgreSQL cluster (every process of it) from the load's first request to its last answer
    /// (accept only) or to the last event landed; null where it cannot be read.
    /// </summary>
    public double? PostgresCpuSeconds { get; init; }

    /// <summary><see cref="PostgresCpuSeconds"/> per event of the load (the warm-up was before it).</summary>
    public double? PostgresCpuMicrosecondsPerEvent =>
        PostgresCpuSeconds is { } seconds && (Landed ?? Accept.Accepted) is > 0 and var events ? seconds * 1e6 / events : null;

    /// <summary>Bytes the cluster wrote to its WAL over the same span as <see cref="PostgresCpuSeconds"/>.</summary>
    public long? WalBytes { get; init; }

    /// <summary><see cref="WalBytes"/> per event of the load.</summary>
    public double? WalBytesPerEvent => WalBytes is { } bytes && (Landed ?? Accept.Accepted) is > 0 and var events ? (double)bytes / events : null;

    /// <summary>The settling load before the timed one (accept only, <see cref="IngestOptions.SettleEvents"/>): the cold process's rate and CPU.</summary>
    public AcceptRun? Settling { get; init; }

    /// <summary>Events of the warm-up (and the settling load), which the process also accepted (and landed) before the load.</summary>
    public long WarmUpEvents { get; init; }

    /// <summary>
    /// CPU of the sluice process per event it handled: for a landing phase, up to the moment every event had landed
    /// (accepting and landing them); for accept only, over the whole phase (accepting alone).
    /// </summary>
    public double? CpuMicrosecondsPerEvent
    {
        get
        {
            var events = (Landed ?? Accept.Accepted) + WarmUpEvents;
            var cpu = Destination is null ? CpuSeconds : CpuAtLandedSeconds;
            return cpu is { } seconds && events > 0 ? seconds * 1e6 / events : null;
        }
    }
}
