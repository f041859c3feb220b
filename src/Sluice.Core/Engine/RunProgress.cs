namespace Sluice.Core.Engine;

/// <summary>A snapshot of a running sync, reported after every committed batch.</summary>
/// <param name="Read">Records read from the source so far.</param>
/// <param name="Acknowledged">Records the destination acknowledged and the state store committed.</param>
/// <param name="Rejected">Records sent to the dead-letter queue.</param>
/// <param name="Estimate">How many records the run is expected to read, when known.</param>
/// <param name="Elapsed">Time since the run started.</param>
public sealed record RunProgress(long Read, long Acknowledged, long Rejected, long? Estimate, TimeSpan Elapsed);
