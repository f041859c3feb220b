namespace Sluice.Core.Engine;

/// <summary>A batch whose records the state store has just committed (<see cref="ISyncObserver.OnBatchCommitted"/>).</summary>
/// <param name="Read">Records of the source the batch covers (sent, dead-lettered or left out by the mode).</param>
/// <param name="Sent">Records the destination acknowledged.</param>
/// <param name="Rejected">Records dead-lettered.</param>
/// <param name="Latency">Time from the batch being cut to its commit.</param>
public sealed record CommittedBatch(long Read, long Sent, long Rejected, TimeSpan Latency)
{
    /// <summary>The batch's span, started when it was sent (its destination calls are its children); ended by the telemetry observer.</summary>
    internal System.Diagnostics.Activity? Span { get; init; }
}
