using Sluice.Core.Engine.WriteBack;
using Sluice.Core.State;

namespace Sluice.Core.Engine;

public sealed partial class SyncRunner
{
    private sealed partial class Run
    {
        /// <summary>The sync's write-back statement once prepared; <c>null</c> for a sync without <c>write_back:</c>.</summary>
        private WriteBackStatement? _writeBack;

        /// <summary>Whether the state store writes the ids back in its commit transaction (the source database is the state database).</summary>
        private bool _writeBackInCommit;

        /// <summary>
        /// Prepares the sync's write-back (checks table, key and column) and writes back what an earlier run committed but
        /// did not get to write (it died between its commit and the write-back): the ledger kept those ids pending.
        /// </summary>
        private async Task PrepareWriteBackAsync(CancellationToken ct)
        {
            if (sync.WriteBack is not { } writeBack)
            {
                return;
            }

            _writeBack = await writeBack.PrepareAsync(ct);
            _writeBackInCommit = lease.CommitsWriteBack(_writeBack);
            var pending = await lease.PendingWriteBacksAsync(ct);
            if (pending.Count > 0)
            {
                await writeBack.WriteAsync(pending, ct);
                await lease.WrittenBackAsync(pending, ct);
            }
        }

        /// <summary>The ids the batch's acknowledged records got, for the commit to write back; <c>null</c> when there are none.</summary>
        private WriteBackCommit? WriteBackOf(OutgoingBatch batch)
        {
            if (_writeBack is null)
            {
                return null;
            }

            var ids = new List<WrittenBackId>();
            foreach (var state in batch.RecordStates)
            {
                if (state.Status == RecordStatus.Sent && state.DestinationId is { } id)
                {
                    ids.Add(new WrittenBackId(state.Key, id));
                }
            }

            return ids.Count == 0 ? null : new WriteBackCommit(_writeBack, ids);
        }

        /// <summary>
        /// After a commit the state store could not write the ids back in (another database): writes them in the source
        /// database's own transaction, then clears their pending mark. A death in between leaves them pending for the next
        /// run, whose write is then a no-op for rows that already hold the id.
        /// </summary>
        private async Task WriteBackAfterCommitAsync(IReadOnlyList<BatchCommit> commits, CancellationToken ct)
        {
            if (_writeBackInCommit || sync.WriteBack is not { } writeBack)
            {
                return;
            }

            var ids = commits.Where(c => c.WriteBack is not null).SelectMany(c => c.WriteBack!.Ids).ToList();
            if (ids.Count > 0)
            {
                await writeBack.WriteAsync(ids, ct);
                await lease.WrittenBackAsync(ids, ct);
            }
        }
    }
}
