namespace Sluice.Core.Connectors;

/// <summary>Batch limits a destination imposes; the batcher never exceeds them.</summary>
/// <param name="MaxRecords">Records per batch.</param>
/// <param name="MaxBatchBytes">Encoded bytes per batch, framing included.</param>
/// <param name="MaxRecordBytes">Encoded bytes per record; larger records are rejected before sending.</param>
/// <param name="MaxInFlight">Batches that may be in flight at once.</param>
public sealed record DestinationLimits(int MaxRecords, int MaxBatchBytes, int MaxRecordBytes, int MaxInFlight)
{
    /// <summary>
    /// For a streaming source: how long a batch that is not full may wait for more records before it is sent.
    /// Zero (the default) sends as soon as the source has nothing more to hand over: lowest latency.
    /// </summary>
    public TimeSpan FlushWindow { get; init; } = TimeSpan.Zero;
}
