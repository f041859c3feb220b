namespace Sluice.Core.State;

/// <summary>The right to run one sync now, and the state operations of that run.</summary>
public interface ISyncLease : IAsyncDisposable
{
    string SyncName { get; }

    /// <summary>The last committed checkpoint, or <c>null</c> when the sync never committed one.</summary>
    Task<Checkpoints.Checkpoint?> LoadCheckpointAsync(CancellationToken ct);

    Task<long> StartRunAsync(RunKind kind, CancellationToken ct);

    /// <summary>
    /// In one transaction: the ledger rows of what the destination acknowledged, the dead letters,
    /// the run's counters and the new checkpoint — the latter only if the stored checkpoint is still
    /// the one this lease last saw (else <see cref="Errors.CheckpointConflictException"/>).
    /// </summary>
    Task CommitBatchAsync(BatchCommit commit, CancellationToken ct);

    Task FinishRunAsync(long runId, RunOutcome outcome, CancellationToken ct);
}
