namespace Sluice.Bench.Cdc;

/// <summary>The latency phase's writes: when each was issued, indexed by its sequence number (1-based).</summary>
/// <param name="LatestStartMilliseconds">How far behind its schedule the bench started its worst write.</param>
internal sealed record PacedWrites(int Rate, int Count, double Seconds, double LatestStartMilliseconds, DateTime[] IssuedAt);
