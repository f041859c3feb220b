using Sluice.Core.Checkpoints;

namespace Sluice.Core.Engine;

/// <summary>What a finished run did.</summary>
public sealed record RunResult(long RunId, long Read, long Acknowledged, long Rejected, long Batches, TimeSpan Elapsed, Checkpoint? Checkpoint);
