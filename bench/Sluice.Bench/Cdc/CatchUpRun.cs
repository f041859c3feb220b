namespace Sluice.Bench.Cdc;

/// <summary>
/// <c>sluice run</c> with the CDC sync, started after the workload with the whole backlog in its slot, until the
/// emulator holds every change. Times are seconds from the process's start.
/// </summary>
/// <param name="FirstReceivedSeconds">The first poll (every 100 ms) at which the emulator had received anything.</param>
/// <param name="DoneSeconds">The first poll at which it held every change (unique messageIds).</param>
/// <param name="CpuSeconds">User+system CPU of the sluice process until then.</param>
/// <param name="EmulatorCpuSeconds">CPU the emulator spent meanwhile: it shares the cores, so it is part of the budget.</param>
internal sealed record CatchUpRun(
    long Changes,
    double FirstReceivedSeconds,
    double DoneSeconds,
    long? Received,
    long? Unique,
    double CpuSeconds,
    double PeakRssMegabytes,
    double? EmulatorCpuSeconds)
{
    /// <summary>Changes ÷ (done − first received): the streaming rate once the process is up.</summary>
    public double SustainedPerSecond => Changes / Math.Max(DoneSeconds - FirstReceivedSeconds, 0.001);

    /// <summary>Changes ÷ done: including process start-up, config, connecting and the slot's start.</summary>
    public double FromStartPerSecond => Changes / DoneSeconds;
}
