namespace Sluice.Core.State;

/// <summary>The right to run one sync now, and the state operations of that run.</summary>
public interface ISyncLease : IAsyncDisposable
{
    string SyncName { get; }

    /// <summary>The last committed checkpoint, or <c>null</c> when the sync never committed one.</summary>
    Task<Checkpoints.Checkpoint?> LoadCheckpointAsync(CancellationToken ct);

    /// <summary>The fingerprints a diffing source stored for this sync (moved by <see cref="CommitBatchAsync"/>), for the source to diff against.</summary>
    IRecordStateReader RecordStates { get; }

    /// <summary>The sync's ledger entries by key (destination ids, status), one query per batch of keys.</summary>
    IRecordStateLookup RecordLookup => throw new NotSupportedException($"this state store keeps no record ledger for sync '{SyncName}'");

    /// <summary>
    /// Whether <see cref="CommitBatchAsync"/> runs <paramref name="statement"/> in its own transaction: the source
    /// database (and role) is the state database, so the ids are written back atomically with the checkpoint and the
    /// ledger. <c>false</c> (the default): the commit marks them pending, and the engine writes them itself.
    /// </summary>
    bool CommitsWriteBack(Engine.WriteBack.WriteBackStatement statement) => false;

    /// <summary>
    /// The ids committed for write-back but not yet written (the process died between the commit and the write-back),
    /// from the record ledger; written back at the start of the next run. Empty by default.
    /// </summary>
    Task<IReadOnlyList<Engine.WriteBack.WrittenBackId>> PendingWriteBacksAsync(CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<Engine.WriteBack.WrittenBackId>>([]);

    /// <summary>Clears the pending mark of <paramref name="ids"/>: they are written back.</summary>
    Task WrittenBackAsync(IReadOnlyList<Engine.WriteBack.WrittenBackId> ids, CancellationToken ct) => Task.CompletedTask;

    /// <summary>
    /// Whether the state store can open transactions on <paramref name="database"/> (<c>host:port/database as user</c>):
    /// a destination there (<see cref="Connectors.ISharedTransactionWrites"/>) then writes each batch in a transaction
    /// from <see cref="BeginSharedTransactionAsync"/>, and the batch's commit runs in it. <c>false</c> by default.
    /// </summary>
    bool SharesTransactionWith(string database) => false;

    /// <summary>
    /// Opens a transaction on the state database for a destination to write one batch in; the batch's commit
    /// (<see cref="BatchCommit.Transaction"/>) runs in it and commits it. The caller disposes the transaction and its
    /// connection (a transaction never committed rolls back). Only when <see cref="SharesTransactionWith"/> said so.
    /// </summary>
    Task<System.Data.Common.DbTransaction> BeginSharedTransactionAsync(CancellationToken ct) =>
        throw new NotSupportedException($"this state store shares no transaction with a destination (sync '{SyncName}')");

    /// <summary>The sync's waiting records, offered again at the start of each run. Default: none kept.</summary>
    IWaitingRecords Waiting => NoWaitingRecords.Instance;

    Task<long> StartRunAsync(RunKind kind, CancellationToken ct);

    /// <summary>
    /// In one transaction: the ledger rows of what the destination acknowledged, the dead letters,
    /// the run's counters and the new checkpoint — the latter only if the stored checkpoint is still
    /// the one this lease last saw (else <see cref="Errors.CheckpointConflictException"/>).
    /// </summary>
    Task CommitBatchAsync(BatchCommit commit, CancellationToken ct);

    /// <summary>
    /// Commits consecutive batches (in sequence order) as <see cref="CommitBatchAsync"/> would one by one, but in one
    /// transaction: one durable commit for several acknowledged batches when they are ready together, which keeps a
    /// streaming sync's many small batches from queueing behind the state database's commits.
    /// </summary>
    async Task CommitBatchesAsync(IReadOnlyList<BatchCommit> commits, CancellationToken ct)
    {
        foreach (var commit in commits)
        {
            await CommitBatchAsync(commit, ct);
        }
    }

    /// <summary>
    /// Records how the run ended and, in the same transaction, its <paramref name="audit"/> record:
    /// what it let out of the database. The engine always passes one; null records the outcome alone.
    /// </summary>
    Task FinishRunAsync(long runId, RunOutcome outcome, RunAudit? audit, CancellationToken ct);

    /// <summary>Records how the run ended, without an audit record (tools and tests that send nothing).</summary>
    Task FinishRunAsync(long runId, RunOutcome outcome, CancellationToken ct) => FinishRunAsync(runId, outcome, null, ct);
}
