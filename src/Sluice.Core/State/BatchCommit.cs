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
    int RecordsRead)
{
    /// <summary>
    /// The ledger entries of the records the batch handled (acknowledged, refused, or left out by the sync's mode) to
    /// store, or drop (<see cref="RecordState.Forget"/>). Committed with the send ledger, so an entry (a fingerprint, a
    /// destination id) never moves ahead of the destination's acknowledgement. Empty for a sync that keeps no ledger
    /// (a streaming one). A key may appear more than once: the last entry wins.
    /// </summary>
    public IReadOnlyList<RecordState> RecordStates { get; init; } = [];

    /// <summary>
    /// The destination ids to write back into the source database (<c>write_back:</c>), or <c>null</c>: run in this
    /// commit's transaction when the store can (<see cref="ISyncLease.CommitsWriteBack"/>), else marked pending in the
    /// record ledger in it (<see cref="ISyncLease.PendingWriteBacksAsync"/>).
    /// </summary>
    public Engine.WriteBack.WriteBackCommit? WriteBack { get; init; }

    /// <summary>
    /// What two-way pairs agreed on for the batch's records and the conflicts they resolved (<see cref="PairedRecord"/>),
    /// stored in this commit's transaction; empty for a sync that is no side of a pair.
    /// </summary>
    public IReadOnlyList<PairedRecord> Paired { get; init; } = [];

    /// <summary>
    /// The transaction the destination wrote the batch in (<see cref="ISyncLease.BeginSharedTransactionAsync"/>), or
    /// <c>null</c>: the commit runs in it and commits it, so the destination's rows and the checkpoint move together.
    /// A commit that carries one is committed alone, never merged with another batch's.
    /// </summary>
    public System.Data.Common.DbTransaction? Transaction { get; init; }
}
