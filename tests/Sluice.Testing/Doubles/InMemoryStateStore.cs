using Sluice.Core.Checkpoints;
using Sluice.Core.Errors;
using Sluice.Core.State;

namespace Sluice.Testing.Doubles;

/// <summary>
/// An <see cref="ISyncStateStore"/> in memory: one lock per sync, a checkpoint guarded as the real store guards it
/// (a commit fails when the stored checkpoint is not the one the lease last saw), a log of runs and commits, and
/// the record fingerprints of a diffing source, moved by commits as the real store moves them.
/// </summary>
public sealed class InMemoryStateStore : ISyncStateStore
{
    private readonly Lock _lock = new();
    private readonly HashSet<string> _held = [];
    private readonly List<BatchCommit> _commits = [];
    private readonly List<RunRecord> _runs = [];
    private readonly SortedDictionary<string, byte[]> _recordStates = new(RecordKeyOrder.Instance);
    private Checkpoint? _checkpoint;

    public InMemoryStateStore(Checkpoint? checkpoint = null)
    {
        _checkpoint = checkpoint;
    }

    public Checkpoint? Checkpoint
    {
        get
        {
            lock (_lock)
            {
                return _checkpoint;
            }
        }
    }

    public IReadOnlyList<BatchCommit> Commits
    {
        get
        {
            lock (_lock)
            {
                return [.. _commits];
            }
        }
    }

    public IReadOnlyList<RunRecord> Runs
    {
        get
        {
            lock (_lock)
            {
                return [.. _runs];
            }
        }
    }

    /// <summary>The fingerprints committed so far, in <see cref="RecordKeyOrder"/>.</summary>
    public IReadOnlyList<RecordState> RecordStates
    {
        get
        {
            lock (_lock)
            {
                return _recordStates.Select(s => new RecordState(s.Key, s.Value)).ToList();
            }
        }
    }

    /// <summary>Moves the checkpoint behind the lease's back, as another process would.</summary>
    public void MoveCheckpoint(Checkpoint checkpoint)
    {
        lock (_lock)
        {
            _checkpoint = checkpoint;
        }
    }

    /// <summary>Makes the sync look locked by another process.</summary>
    public void HoldLock(string syncName)
    {
        lock (_lock)
        {
            _held.Add(syncName);
        }
    }

    public Task<ISyncLease?> TryAcquireAsync(string syncName, CancellationToken ct)
    {
        lock (_lock)
        {
            return Task.FromResult<ISyncLease?>(_held.Add(syncName) ? new Lease(this, syncName) : null);
        }
    }

    /// <summary>A run as the store saw it; <see cref="Outcome"/> and <see cref="Audit"/> are null while it runs.</summary>
    public sealed record RunRecord(long RunId, RunKind Kind, RunOutcome? Outcome, RunAudit? Audit = null);

    private sealed class Lease(InMemoryStateStore store, string syncName) : ISyncLease
    {
        private Checkpoint? _seen;

        public string SyncName { get; } = syncName;

        public IRecordStateReader RecordStates { get; } = new StateReader(store);

        public Task<Checkpoint?> LoadCheckpointAsync(CancellationToken ct)
        {
            lock (store._lock)
            {
                _seen = store._checkpoint;
                return Task.FromResult(_seen);
            }
        }

        public Task<long> StartRunAsync(RunKind kind, CancellationToken ct)
        {
            lock (store._lock)
            {
                var runId = store._runs.Count + 1L;
                store._runs.Add(new RunRecord(runId, kind, null));
                return Task.FromResult(runId);
            }
        }

        public Task CommitBatchAsync(BatchCommit commit, CancellationToken ct)
        {
            lock (store._lock)
            {
                if (store._checkpoint != _seen)
                {
                    throw new CheckpointConflictException(SyncName);
                }

                store._commits.Add(commit);
                store._checkpoint = _seen = commit.Checkpoint;
                foreach (var state in commit.RecordStates)
                {
                    if (state.Fingerprint is { } fingerprint)
                    {
                        store._recordStates[state.Key] = fingerprint;
                    }
                    else
                    {
                        store._recordStates.Remove(state.Key);
                    }
                }
            }

            return Task.CompletedTask;
        }

        public Task FinishRunAsync(long runId, RunOutcome outcome, RunAudit? audit, CancellationToken ct)
        {
            lock (store._lock)
            {
                var index = store._runs.FindIndex(r => r.RunId == runId);
                store._runs[index] = store._runs[index] with { Outcome = outcome, Audit = audit };
            }

            return Task.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            lock (store._lock)
            {
                store._held.Remove(SyncName);
            }

            return ValueTask.CompletedTask;
        }
    }

    /// <summary>Streams the fingerprints as committed when the read starts, as the real store's snapshot does.</summary>
    private sealed class StateReader(InMemoryStateStore store) : IRecordStateReader
    {
        public async IAsyncEnumerable<RecordState> ReadAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
        {
            var snapshot = store.RecordStates;
            foreach (var state in snapshot)
            {
                ct.ThrowIfCancellationRequested();
                yield return state;
            }

            await Task.CompletedTask;
        }
    }
}
