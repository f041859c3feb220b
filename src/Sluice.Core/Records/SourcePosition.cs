using Sluice.Core.Checkpoints;

namespace Sluice.Core.Records;

/// <summary>
/// A source's position after one change, kept as live values and turned into a stored
/// <see cref="Checkpoint"/> only when a batch is committed (serialising every row's position would be waste).
/// </summary>
public abstract class SourcePosition
{
    public abstract Checkpoint ToCheckpoint();
}
