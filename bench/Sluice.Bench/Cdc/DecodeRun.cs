namespace Sluice.Bench.Cdc;

/// <summary>One <c>pg_recvlogical</c> over the workload's WAL, from its own slot, start to exit at the end LSN.</summary>
internal sealed record DecodeRun(int Run, string Slot, long Changes, double Seconds)
{
    public double ChangesPerSecond => Changes / Seconds;
}
