using Sluice.Core.Checkpoints;
using Sluice.Core.Engine.WriteBack;
using Sluice.Core.State;

namespace Sluice.Postgres.Tests.WriteBack;

/// <summary>
/// The real state store, except that the commit holding batch <c>dieAtBatch</c> (or a later one) is never made: the process
/// "died" after the destination acknowledged that batch and before the commit. By batch, not by the count of commits: the
/// engine groups acknowledged batches into one commit, so a run's batches may take fewer commits than there are batches.
/// Everything else goes to the real lease.
/// </summary>
internal sealed class DyingCommitStore(ISyncStateStore store, long dieAtBatch) : ISyncStateStore
{
    private readonly long _dieAtBatch = dieAtBatch;

    public bool Died { get; private set; }

    public async Task<ISyncLease?> TryAcquireAsync(string syncName, CancellationToken ct) =>
        await store.TryAcquireAsync(syncName, ct) is { } lease ? new Lease(this, lease) : null;

    private sealed class Lease(DyingCommitStore owner, ISyncLease inner) : ISyncLease
    {
        public string SyncName => inner.SyncName;

        public IRecordStateReader RecordStates => inner.RecordStates;

        public IRecordStateLookup RecordLookup => inner.RecordLookup;

        public bool CommitsWriteBack(WriteBackStatement statement) => inner.CommitsWriteBack(statement);

        public Task<IReadOnlyList<WrittenBackId>> PendingWriteBacksAsync(CancellationToken ct) => inner.PendingWriteBacksAsync(ct);

        public Task WrittenBackAsync(IReadOnlyList<WrittenBackId> ids, CancellationToken ct) => inner.WrittenBackAsync(ids, ct);

        public Task<Checkpoint?> LoadCheckpointAsync(CancellationToken ct) => inner.LoadCheckpointAsync(ct);

        public Task<long> StartRunAsync(RunKind kind, CancellationToken ct) => inner.StartRunAsync(kind, ct);

        public Task CommitBatchAsync(BatchCommit commit, CancellationToken ct) => CommitBatchesAsync([commit], ct);

        public Task CommitBatchesAsync(IReadOnlyList<BatchCommit> commits, CancellationToken ct)
        {
            if (commits.Any(c => c.Sequence >= owner._dieAtBatch))
            {
                owner.Died = true;
                throw new InvalidOperationException("the process died between the destination's acknowledgement and the commit");
            }

            return inner.CommitBatchesAsync(commits, ct);
        }

        // A dead process records nothing more: the next run finds the run still marked running.
        public Task FinishRunAsync(long runId, RunOutcome outcome, RunAudit? audit, CancellationToken ct) => Task.CompletedTask;

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}

/// <summary>A write-back whose <c>dieAtWrite</c>-th write never happens: the process "died" right after the commit before it.</summary>
internal sealed class DyingWriteBack(IWriteBack inner, int dieAtWrite) : IWriteBack
{
    private int _writes;

    public bool Died { get; private set; }

    public string Description => inner.Description;

    public Task<WriteBackStatement> PrepareAsync(CancellationToken ct) => inner.PrepareAsync(ct);

    public Task WriteAsync(IReadOnlyList<WrittenBackId> ids, CancellationToken ct)
    {
        if (++_writes >= dieAtWrite)
        {
            Died = true;
            throw new InvalidOperationException("the process died between the commit and the write-back");
        }

        return inner.WriteAsync(ids, ct);
    }

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
