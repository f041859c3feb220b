using System.Threading.Channels;
using Sluice.Core.Errors;
using Sluice.Core.State;

namespace Sluice.Core.Engine;

public sealed partial class SyncRunner
{
    private sealed partial class Run
    {
        /// <summary>
        /// Commits acknowledged batches strictly in sequence: ledger, dead letters and checkpoint together. Batches
        /// that are ready at the same moment share one transaction (a streaming sync sends many small batches, and
        /// one durable commit each would make them queue behind the state database).
        /// </summary>
        private async Task CommitLoopAsync(ChannelReader<OutgoingBatch> input, SemaphoreSlim window, CancellationToken ct)
        {
            var waiting = new Dictionary<long, OutgoingBatch>();
            var ready = new List<OutgoingBatch>();
            long next = 0;
            while (await input.WaitToReadAsync(ct))
            {
                while (input.TryRead(out var batch))
                {
                    waiting[batch.Sequence] = batch;
                }

                while (waiting.Remove(next, out var inOrder))
                {
                    ready.Add(inOrder);
                    next++;
                }

                if (ready.Count == 0)
                {
                    continue;
                }

                var commits = ready.Select(b => new BatchCommit(runId, b.Sequence, b.Sent, b.DeadLetters, b.LastPosition.ToCheckpoint(), b.RecordsRead)
                {
                    RecordStates = b.RecordStates,
                    WriteBack = WriteBackOf(b),
                    Paired = b.Paired,
                    Transaction = b.Transaction?.Transaction,
                }).ToList();
                await CommitAsync(ready, commits, ct);
                await WriteBackAfterCommitAsync(commits, ct);
                var checkpoint = commits[^1].Checkpoint;
                await sync.Source.CommittedAsync(checkpoint, ct);
                _lastCheckpoint = checkpoint;
                window.Release(ready.Count);
                foreach (var done in ready)
                {
                    _acknowledged += done.Sent.Count;
                    _rejected += done.DeadLetters.Count(l => l.Kind != DeadLetterKind.Waiting);
                    _committedRead += done.RecordsRead;
                    _batches++;
                    runner._observer.OnBatchCommitted(sync.Name, new CommittedBatch(done.RecordsRead, done.Sent.Count, done.DeadLetters.Count, System.Diagnostics.Stopwatch.GetElapsedTime(done.CutAt)) { Span = done.Span });
                    ReportProgress();
                }

                ready.Clear();
                StopPastMaxRejected();
            }

            if (waiting.Count > 0)
            {
                throw new InvalidOperationException($"batch {next} never arrived; {waiting.Count} later batches were not committed");
            }
        }

        /// <summary>
        /// Commits the ready batches in one state transaction, except those the destination wrote in a transaction shared
        /// with the state store: each of those commits in its own, in order, together with the rows it holds.
        /// </summary>
        private async Task CommitAsync(List<OutgoingBatch> ready, List<BatchCommit> commits, CancellationToken ct)
        {
            if (!ready.Any(b => b.Transaction is not null))
            {
                await lease.CommitBatchesAsync(commits, ct);
                return;
            }

            for (var i = 0; i < ready.Count; i++)
            {
                await lease.CommitBatchesAsync([commits[i]], ct);
                await CommittedSharedAsync(ready[i]);
            }
        }

        /// <summary>
        /// Stops a run that is rejecting too much (<c>max_rejected</c>), after the commit that crossed the limit: a
        /// source that went bad must not dead-letter a whole table. What the run committed stays committed.
        /// </summary>
        private void StopPastMaxRejected()
        {
            if (sync.Options.MaxRejected is { } limit && limit.IsExceeded(_rejected, _committedRead))
            {
                throw SluiceException.Fatal(
                    $"sync '{sync.Name}' stopped: {_rejected:N0} of the {_committedRead:N0} records read so far were dead-lettered or quarantined, " +
                    $"past its max_rejected: {limit}; what the run committed stays committed. See why with `sluice dlq list {sync.Name}`, fix the cause " +
                    "and run the sync again, or raise max_rejected in the sync's config");
            }
        }
    }
}
