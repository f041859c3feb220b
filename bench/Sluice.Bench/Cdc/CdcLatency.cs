using Sluice.Bench.Harness;

namespace Sluice.Bench.Cdc;

/// <summary>
/// Change-to-acknowledgement latency at a fixed change rate: for each change, the emulator's receive time minus the
/// time the writer issued its UPDATE (the commit included). Both clocks are this machine's.
/// </summary>
/// <param name="Missing">Changes committed but not received by the end of the wait.</param>
/// <param name="LatestStartMilliseconds">How far behind its schedule the bench started its worst write.</param>
internal sealed record CdcLatency(int Rate, int Changes, double WriteSeconds, double LatestStartMilliseconds, int Received, int Missing, LatencySummary? Milliseconds);
