using Sluice.Core.Checkpoints;

namespace Sluice.Core.Engine;

/// <summary>What a finished run did.</summary>
public sealed record RunResult(long RunId, long Read, long Acknowledged, long Rejected, long Batches, TimeSpan Elapsed, Checkpoint? Checkpoint)
{
    /// <summary>Records a processor handled without sending, with a reason (a lookup with no match): not errors, not dead letters.</summary>
    public long Skipped { get; init; }
}
