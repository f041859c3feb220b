using Sluice.Core.Checkpoints;

namespace Sluice.Core.State;

/// <summary>Everything one acknowledged batch changes in the state store, committed atomically.</summary>
/// <param name="RunId">The run the batch belongs to.</param>
/// <param name="Sequence">The batch's number within the run (batches commit in order).</param>
/// <param name="Sent">Acknowledged records.</param>
/// <param name="DeadLetters">Records refused for good.</param>
/// <param name="Checkpoint">The source position after the batch's last record.</param>
/// <param name="RecordsRead">Source records the batch covers (sent and refused).</param>
public sealed record BatchCommit(
    long RunId,
    long Sequence,
    IReadOnlyList<LedgerEntry> Sent,
    IReadOnlyList<DeadLetter> DeadLetters,
    Checkpoint Checkpoint,
    int RecordsRead);
