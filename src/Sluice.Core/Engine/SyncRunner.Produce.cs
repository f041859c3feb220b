using System.Threading.Channels;
using Sluice.Core.Connectors;
using Sluice.Core.Engine.Delivery;
using Sluice.Core.Records;
using Sluice.Core.State;

namespace Sluice.Core.Engine;

public sealed partial class SyncRunner
{
    private sealed partial class Run
    {
        /// <summary>
        /// Records a batch may cover without sending them (left out by the mode, refused before sending) before
        /// it is cut anyway: a diff that sends little must not hold a whole table's fingerprints in one batch.
        /// </summary>
        private const int MaxUnsentPerBatch = 10_000;

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
            SourcePosition? last = null;
            var covered = 0;
            // The source moved its position without a record (Change.Progress): that alone is worth a commit.
            var moved = false;
            long sequence = 0;
            long firstCovered = 0;
            // The destination's early view of the batch being filled (IEarlyBatchWrites), asked for at its first record.
            IEarlyBatch? early = null;
            var askedEarly = false;

            async ValueTask FlushAsync()
            {
                if (early is not null)
                {
                    await early.CutAsync(ct);
                }

                await window.WaitAsync(ct);
                await output.WriteAsync(new OutgoingBatch(sequence++, batcher.Take(), refused, states, last!, covered) { Early = early }, ct);
                early = null;
                askedEarly = false;
                refused = [];
                states = [];
                covered = 0;
                moved = false;
                firstCovered = runner._time.GetTimestamp();
            }

            // A streaming source never ends, so a batch that is not full is also cut by time: once the source has
            // nothing more to hand over and the batch's first record has waited the flush window.
            var streams = sync.Source.Streams;
            var releasesValues = ReleasesValues;
            var flushWindow = sync.Options.FlushWindow ?? limits.FlushWindow;
            try
            {
                while (true)
                {
                    if (!input.TryRead(out var chunk))
                    {
                        // A diffed stream moves on without records when what changed left them as they were (an
                        // order's note edited): its position is committed all the same, so that its slot can advance.
                        if (streams && (covered > 0 || (moved && sync.Source.Diff is not null)) && !await MoreWithinAsync(flushWindow - runner._time.GetElapsedTime(firstCovered)))
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
                        if (change.IsProgress)
                        {
                            if (covered == 0 && !moved)
                            {
                                firstCovered = runner._time.GetTimestamp();
                            }

                            last = change.Position;
                            moved = true;
                            continue;
                        }

                        if (covered == 0)
                        {
                            firstCovered = runner._time.GetTimestamp();
                        }

                        var sends = RecordEncoder.Sends(sync, change);
                        var encoded = sends ? Encode(change, refused) : null;
                        if (encoded is not null)
                        {
                            if (batcher.Count > 0 && !batcher.Fits(encoded))
                            {
                                await FlushAsync();
                            }

                            batcher.Add(encoded);
                            if (releasesValues)
                            {
                                encoded.Change.ReleaseValues();
                            }
                            if (_early is not null)
                            {
                                if (!askedEarly)
                                {
                                    askedEarly = true;
                                    early = _early.StartBatch(ct);
                                }

                                if (early is not null)
                                {
                                    await early.AddAsync(encoded, ct);
                                }
                            }
                        }
                        else if (KeepsRecordState(change))
                        {
                            // Left out by the mode or refused: handled all the same, so its fingerprint moves.
                            states.Add(LedgerEntryOf(change, sends ? RecordStatus.DeadLettered : RecordStatus.LeftOut, null));
                        }

                        last = change.Position;
                        covered++;
                        // A full batch goes at once, not when the next record comes: the last full batch of a load
                        // waited so for the whole poll after it (the Salesforce source's, 1-2 s in its bench).
                        if (covered - batcher.Count >= MaxUnsentPerBatch || batcher.Count == batcher.MaxRecords)
                        {
                            await FlushAsync();
                        }
                    }
                }

                if (covered > 0 || moved)
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

        /// <summary>
        /// Whether a change's values are released as soon as it is encoded (<see cref="Change.ReleaseValues"/>): the
        /// destination never reads them again (<see cref="IDestination.WritesPayloadsOnly"/>: not when it writes, looks
        /// records up or uploads an early batch), and nothing else between encoding and the commit does — no processor (it
        /// reads and may re-encode the record), no shared transaction (the destination writes from the change). The ledger
        /// lookup and a write-back read keys, fingerprints and ids only. A batch then waits for its acknowledgement holding
        /// payloads, keys and message ids only: for a table sync to Segment that is about a third less memory per row that
        /// survives the collections while the batch is in flight (issue 16); for a Salesforce first load, whose batch of
        /// 100,000 waits for its Bulk job, each row's value array and boxes (issue 11).
        /// </summary>
        private bool ReleasesValues =>
            sync.Destination.WritesPayloadsOnly && sync.Processors.Count == 0 && !KnowsDestinationIds && _early is null && _sharedWrites is null;

        private EncodedRecord? Encode(Change change, List<DeadLetter> refused)
        {
            var encoded = RecordEncoder.Encode(sync.Destination, mapping, Columns.Widen(change), out var refusal);
            if (refusal is not null)
            {
                Refuse(refused, refusal);
            }

            return encoded;
        }

        private void Refuse(List<DeadLetter> into, DeadLetter letter)
        {
            into.Add(letter);
            runner._observer.OnRejected(sync.Name, letter.RecordKey, letter.Reason);
        }
    }
}
