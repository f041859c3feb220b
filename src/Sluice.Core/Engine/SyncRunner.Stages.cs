using System.Text;
using System.Threading.Channels;
using Polly;
using Sluice.Core.Connectors;
using Sluice.Core.Errors;
using Sluice.Core.Records;
using Sluice.Core.State;

namespace Sluice.Core.Engine;

public sealed partial class SyncRunner
{
    private sealed partial class Run
    {
        /// <summary>Changes handed from the read stage to the encode stage at a time (at most).</summary>
        private const int ChunkSize = 512;

        /// <summary>
        /// Records a batch may cover without sending them (left out by the mode, refused before sending) before
        /// it is cut anyway: a diff that sends little must not hold a whole table's fingerprints in one batch.
        /// </summary>
        private const int MaxUnsentPerBatch = 10_000;

        private ResiliencePipeline? _retry;

        /// <summary>
        /// Reads changes and hands them on in chunks, so that reading and encoding run on two cores. A chunk
        /// goes as soon as it is full or the source would have to wait: a busy source gets large chunks,
        /// a trickling one no added latency.
        /// </summary>
        private async Task ReadAsync(ChannelWriter<List<Change>> output, CancellationToken ct)
        {
            var chunk = new List<Change>(ChunkSize);
            try
            {
                SyncModes.Check(sync);
                var read = request with { RecordStates = lease.RecordStates };
                var changes = sync.Source.ReadAsync(read, ct).GetAsyncEnumerator(ct);
                // A read the stage asked for but has not awaited yet (it was handing a chunk on when stopped). It must
                // end before the enumerator is disposed: an async iterator cannot be disposed while it is running.
                ValueTask<bool>? pending = null;
                try
                {
                    while (true)
                    {
                        var next = changes.MoveNextAsync();
                        if (!next.IsCompleted && chunk.Count > 0)
                        {
                            pending = next;
                            await HandOnAsync();
                        }

                        pending = null;
                        if (!await next)
                        {
                            break;
                        }

                        chunk.Add(changes.Current);
                        if (chunk.Count == ChunkSize)
                        {
                            await HandOnAsync();
                        }
                    }

                    if (chunk.Count > 0)
                    {
                        await HandOnAsync();
                    }
                }
                finally
                {
                    if (pending is { } unfinished)
                    {
                        await EndQuietlyAsync(unfinished);
                    }

                    await changes.DisposeAsync();
                }
            }
            finally
            {
                output.TryComplete();
            }

            // The stage is already failing or stopping: the read's own outcome (a cancellation, mostly) adds nothing.
            static async ValueTask EndQuietlyAsync(ValueTask<bool> read)
            {
                try
                {
                    await read;
                }
                catch (Exception)
                {
                }
            }

            async ValueTask HandOnAsync()
            {
                Interlocked.Add(ref _read, chunk.Count);
                await output.WriteAsync(chunk, ct);
                chunk = new List<Change>(ChunkSize);
            }
        }

        /// <summary>
        /// Maps, encodes and cuts batches; a record that cannot be encoded (refused, or the encoder threw) is dead-lettered in its batch. A change
        /// of a kind the mode leaves out is not sent, but its batch carries its fingerprint to the commit.
        /// </summary>
        private async Task ProduceAsync(ChannelReader<List<Change>> input, ChannelWriter<OutgoingBatch> output, SemaphoreSlim window, CancellationToken ct)
        {
            var limits = sync.Destination.Limits;
            var batcher = new Batcher(Math.Clamp(sync.Options.BatchSize ?? limits.MaxRecords, 1, limits.MaxRecords), limits.MaxBatchBytes);
            var refused = new List<DeadLetter>();
            var states = new List<RecordState>();
            var on = sync.Options.On;
            SourcePosition? last = null;
            var covered = 0;
            long sequence = 0;
            long firstCovered = 0;

            async ValueTask FlushAsync()
            {
                await window.WaitAsync(ct);
                await output.WriteAsync(new OutgoingBatch(sequence++, batcher.Take(), refused, states, last!, covered), ct);
                refused = [];
                states = [];
                covered = 0;
                firstCovered = runner._time.GetTimestamp();
            }

            // A streaming source never ends, so a batch that is not full is also cut by time: once the source has
            // nothing more to hand over and the batch's first record has waited the flush window.
            var streams = sync.Source.Streams;
            var flushWindow = sync.Options.FlushWindow ?? limits.FlushWindow;
            try
            {
                while (true)
                {
                    if (!input.TryRead(out var chunk))
                    {
                        if (streams && covered > 0 && !await MoreWithinAsync(flushWindow - runner._time.GetElapsedTime(firstCovered)))
                        {
                            await FlushAsync();
                        }
                        else if (!await input.WaitToReadAsync(ct))
                        {
                            break;
                        }

                        continue;
                    }

                    foreach (var change in chunk)
                    {
                        if (covered == 0)
                        {
                            firstCovered = runner._time.GetTimestamp();
                        }

                        var encoded = (change.Kind == ChangeKinds.None || (change.Kind & on) != 0) && sync.Destination.Sends(change) ? Encode(change, limits, refused) : null;
                        if (encoded is not null)
                        {
                            if (batcher.Count > 0 && !batcher.Fits(encoded))
                            {
                                await FlushAsync();
                            }

                            batcher.Add(encoded);
                        }
                        else if (KeepsRecordState(change))
                        {
                            // Left out by the mode or refused: handled all the same, so its fingerprint moves.
                            states.Add(new RecordState(change.Key, change.Fingerprint) { Values = change.Watched });
                        }

                        last = change.Position;
                        covered++;
                        if (covered - batcher.Count >= MaxUnsentPerBatch)
                        {
                            await FlushAsync();
                        }
                    }
                }

                if (covered > 0)
                {
                    await FlushAsync();
                }
            }
            finally
            {
                output.TryComplete();
            }

            // Whether the next chunk (or the end of input) arrives within the wait.
            async ValueTask<bool> MoreWithinAsync(TimeSpan wait)
            {
                if (wait <= TimeSpan.Zero)
                {
                    return false;
                }

                using var timeout = new CancellationTokenSource(wait, runner._time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
                try
                {
                    await input.WaitToReadAsync(linked.Token);
                    return true;
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    return false;
                }
            }
        }

        private EncodedRecord? Encode(Change change, DestinationLimits limits, List<DeadLetter> refused)
        {
            try
            {
                var encoded = sync.Destination.Encode(change, mapping);
                if (encoded.Payload.Length <= limits.MaxRecordBytes)
                {
                    return encoded;
                }

                Refuse(refused, new DeadLetter(change.Key, encoded.MessageId,
                    $"record is {encoded.Payload.Length / 1024.0:0.#} KB encoded; {sync.Destination.Description} accepts at most {limits.MaxRecordBytes / 1024} KB per record",
                    Encoding.UTF8.GetString(encoded.Payload.Span)));
            }
            catch (SluiceException e) when (e.Class == ErrorClass.RecordRejected)
            {
                Refuse(refused, new DeadLetter(change.Key, null, e.Message, null));
            }
            catch (Exception e) when (UnexpectedFailure.Is(e))
            {
                Refuse(refused, new DeadLetter(change.Key, null, UnexpectedFailure.Reason(sync.Destination, e), null));
            }

            return null;
        }

        private void Refuse(List<DeadLetter> into, DeadLetter letter)
        {
            into.Add(letter);
            runner._observer.OnRejected(sync.Name, letter.RecordKey, letter.Reason);
        }

        private async Task SendLoopAsync(ChannelReader<OutgoingBatch> input, ChannelWriter<OutgoingBatch> output, CancellationToken ct)
        {
            await foreach (var batch in input.ReadAllAsync(ct))
            {
                if (batch.Records.Count > 0)
                {
                    await DeliverAsync(batch, ct);
                }

                await output.WriteAsync(batch, ct);
            }
        }

        /// <summary>
        /// Sends a batch until every record is acknowledged or refused. Records the destination asks to
        /// retry are sent again, alone, under the retry pipeline; their message ids do not change. A record that
        /// makes the destination throw unexpectedly is found by halving the batch and refused alone.
        /// </summary>
        private async Task DeliverAsync(OutgoingBatch batch, CancellationToken ct)
        {
            _retry ??= RetryPipeline.Create(sync.Options.Retry, runner._time, sync.Gate,
                (reason, delay, attempt) => runner._observer.OnRetry(sync.Name, reason, delay, attempt));
            var pending = (IReadOnlyList<EncodedRecord>)batch.Records;
            var context = RetryPipeline.NewContext(ct);
            try
            {
                await _retry.ExecuteAsync(async (ctx, _) =>
                {
                    await sync.Gate.WaitAsync(pending.Count, sync.Options.Lane, ctx.CancellationToken);
                    var results = await WriteOrBisectAsync(pending, ctx.CancellationToken);
                    if (results.Count != pending.Count)
                    {
                        throw SluiceException.Fatal($"{sync.Destination.Description} answered {results.Count} results for {pending.Count} records");
                    }

                    pending = Settle(batch, pending, results, out var retryAfter, out var reason);
                    if (pending.Count > 0)
                    {
                        throw SluiceException.Transient($"{pending.Count} records asked to be retried: {reason}", retryAfter: retryAfter);
                    }
                }, context, 0);
            }
            catch (SluiceException e) when (e.IsRetryable)
            {
                throw SluiceException.Fatal(
                    $"sync '{sync.Name}': gave up on a batch of {pending.Count} records after {sync.Options.Retry.MaxAttempts} attempts ({e.Message}); " +
                    "the checkpoint did not move, so the next run sends them again under the same message ids", e);
            }
            finally
            {
                ResilienceContextPool.Shared.Return(context);
            }
        }

        /// <summary>Files acknowledged and refused records; returns the ones to send again.</summary>
        private IReadOnlyList<EncodedRecord> Settle(OutgoingBatch batch, IReadOnlyList<EncodedRecord> sent, IReadOnlyList<WriteResult> results, out TimeSpan? retryAfter, out string? reason)
        {
            List<EncodedRecord>? again = null;
            retryAfter = null;
            reason = null;
            for (var i = 0; i < sent.Count; i++)
            {
                var record = sent[i];
                switch (results[i].Status)
                {
                    case WriteStatus.Ok:
                        batch.Sent.Add(new LedgerEntry(record.Change.Key, record.MessageId, record.Change.Operation));
                        Remember(batch, record.Change);
                        break;
                    case WriteStatus.Rejected:
                        Refuse(batch.DeadLetters, new DeadLetter(record.Change.Key, record.MessageId, results[i].Reason ?? "rejected", Encoding.UTF8.GetString(record.Payload.Span)));
                        Remember(batch, record.Change);
                        break;
                    default:
                        (again ??= []).Add(record);
                        reason ??= results[i].Reason;
                        if (results[i].RetryAfter is { } after && (retryAfter is null || after > retryAfter))
                        {
                            retryAfter = after;
                        }

                        break;
                }
            }

            return again ?? (IReadOnlyList<EncodedRecord>)[];
        }

        /// <summary>A diffing source's record is handled: its fingerprint moves with the batch's commit (a table source's has none).</summary>
        private void Remember(OutgoingBatch batch, Change change)
        {
            if (KeepsRecordState(change))
            {
                batch.RecordStates.Add(new RecordState(change.Key, change.Fingerprint) { Values = change.Watched });
            }
        }

        /// <summary>
        /// Whether the change's record state is stored: only a diffing source's. A streaming source (CDC) tells kinds
        /// apart too, but from its own stream, and never reads stored fingerprints back.
        /// </summary>
        private bool KeepsRecordState(Change change) => change.Kind != ChangeKinds.None && !sync.Source.Streams;

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

                var commits = ready.Select(b => new BatchCommit(runId, b.Sequence, b.Sent, b.DeadLetters, b.LastPosition.ToCheckpoint(), b.RecordsRead) { RecordStates = b.RecordStates }).ToList();
                await lease.CommitBatchesAsync(commits, ct);
                var checkpoint = commits[^1].Checkpoint;
                await sync.Source.CommittedAsync(checkpoint, ct);
                _lastCheckpoint = checkpoint;
                window.Release(ready.Count);
                foreach (var done in ready)
                {
                    _acknowledged += done.Sent.Count;
                    _rejected += done.DeadLetters.Count;
                    _batches++;
                    runner._observer.OnBatchCommitted(sync.Name, new CommittedBatch(done.RecordsRead, done.Sent.Count, done.DeadLetters.Count, System.Diagnostics.Stopwatch.GetElapsedTime(done.CutAt)));
                    ReportProgress();
                }

                ready.Clear();
            }

            if (waiting.Count > 0)
            {
                throw new InvalidOperationException($"batch {next} never arrived; {waiting.Count} later batches were not committed");
            }
        }
    }
}
