using System.Text;
using System.Threading.Channels;
using Sluice.Core.Connectors;
using Sluice.Core.Engine.Delivery;
using Sluice.Core.Engine.Processing;
using Sluice.Core.Errors;
using Sluice.Core.Records;
using Sluice.Core.State;
using Sluice.Core.Telemetry;

namespace Sluice.Core.Engine;

public sealed partial class SyncRunner
{
    private sealed partial class Run
    {
        private DeliveryService? _delivery;

        private async Task SendLoopAsync(ChannelReader<OutgoingBatch> input, ChannelWriter<OutgoingBatch> output, CancellationToken ct)
        {
            await foreach (var batch in input.ReadAllAsync(ct))
            {
                // The batch's span is current while it is processed and sent: the destination's calls are its children.
                using (SyncSpans.EnterBatch(sync.Name, batch))
                {
                    try
                    {
                        if (batch.Records.Count > 0 && KnowsDestinationIds)
                        {
                            await IdentifyAsync(batch, ct);
                        }

                        if (batch.Records.Count > 0 && sync.Processors.Count > 0)
                        {
                            await ProcessAsync(batch, ct);
                        }

                        if (batch.Records.Count > 0)
                        {
                            await DeliverAsync(batch, ct);
                        }
                    }
                    finally
                    {
                        // Whatever the destination started early and did not use is given up now, not at the end of the run.
                        if (batch.Early is { } early)
                        {
                            await early.DisposeAsync();
                        }
                    }
                }

                await output.WriteAsync(batch, ct);
            }
        }

        /// <summary>
        /// Runs the sync's processors over the batch: what they hold back is filed with the batch (quarantined or
        /// waiting, with the payload; dropped: handled), and only what they pass is sent.
        /// </summary>
        private async Task ProcessAsync(OutgoingBatch batch, CancellationToken ct)
        {
            var (passed, heldBack) = await ProcessorStage.RunAsync(sync.Name, sync.Processors, batch.Records, ct, mapping.Columns, change =>
            {
                var encoded = RecordEncoder.Encode(sync.Destination, mapping, change, out var refusal);
                return (encoded, refusal?.Reason);
            });
            foreach (var (record, decision, by) in heldBack)
            {
                var reason = $"{by.Name}: {decision.Reason ?? "no reason given"}";
                switch (decision.Kind)
                {
                    case ProcessorDecisionKind.Quarantine:
                        Refuse(batch.DeadLetters, new DeadLetter(record.Change.Key, record.MessageId, reason, Encoding.UTF8.GetString(record.Payload.Span)) { Kind = DeadLetterKind.Quarantined });
                        Remember(batch, record.Change, RecordStatus.Quarantined, null);
                        break;
                    case ProcessorDecisionKind.Defer:
                        batch.DeadLetters.Add(new DeadLetter(record.Change.Key, record.MessageId, reason, Encoding.UTF8.GetString(record.Payload.Span)) { Kind = DeadLetterKind.Waiting });
                        Remember(batch, record.Change, RecordStatus.Waiting, null);
                        break;
                    default:
                        if (decision.Paired is { } paired)
                        {
                            batch.Paired.Add(paired);
                        }

                        // Dropped: handled all the same, so its fingerprint moves; nothing was sent. A reason (a
                        // lookup with no match) is kept with the ledger entry for `sluice explain` and counted.
                        if (decision.Reason is not null)
                        {
                            Interlocked.Increment(ref _skipped);
                            if (KeepsRecordState(record.Change))
                            {
                                batch.RecordStates.Add(LedgerEntryOf(record.Change, RecordStatus.LeftOut, null) with { SkipReason = reason });
                            }
                        }
                        else
                        {
                            Remember(batch, record.Change, RecordStatus.LeftOut, null);
                        }

                        break;
                }
            }

            if (!ReferenceEquals(passed, batch.Records))
            {
                batch.Records.Clear();
                batch.Records.AddRange(passed);
            }
        }

        /// <summary>
        /// Sends a batch through the delivery service until every record is acknowledged or refused; each wave of
        /// answers is filed with the batch (<see cref="Settle"/>) for its commit.
        /// </summary>
        private async Task DeliverAsync(OutgoingBatch batch, CancellationToken ct)
        {
            var options = new DeliveryOptions
            {
                Retry = sync.Options.Retry,
                Lane = sync.Options.Lane,
                OnRetry = (reason, delay, attempt) => runner._observer.OnRetry(sync.Name, reason, delay, attempt),
            };
            DeliveryOutcome outcome;
            if (_sharedWrites is { } shared)
            {
                outcome = await DeliverInSharedTransactionAsync(batch, shared, options, ct);
            }
            else
            {
                _delivery ??= new DeliveryService(sync.Destination, sync.Gate, options, runner._time);
                outcome = await _delivery.DeliverAsync(batch.Records, (settled, _) =>
                {
                    Settle(batch, settled);
                    return ValueTask.CompletedTask;
                }, ct);
            }

            if (outcome.LastFailure is { } e)
            {
                throw SluiceException.Fatal(
                    $"sync '{sync.Name}': gave up on a batch of {outcome.Unsettled.Count} records after {sync.Options.Retry.MaxAttempts} attempts ({e.Message}); " +
                    "the checkpoint did not move, so the next run sends them again under the same message ids", e);
            }
        }

        /// <summary>Files acknowledged and refused records with the batch.</summary>
        private void Settle(OutgoingBatch batch, IReadOnlyList<SettledRecord> settled)
        {
            foreach (var (record, result) in settled)
            {
                switch (result.Status)
                {
                    case WriteStatus.Ok when result.LeftOut:
                        // Handled without writing (an enrich destination with no row to update): nothing was sent.
                        Remember(batch, record.Change, RecordStatus.LeftOut, null);
                        break;
                    case WriteStatus.Ok:
                        if (record.Paired is { } paired)
                        {
                            // A create learns its link (the Salesforce Id) only now, from the acknowledgement.
                            batch.Paired.Add(paired.Link is null ? paired with { Link = result.DestinationId } : paired);
                        }

                        batch.Sent.Add(new LedgerEntry(record.Change.Key, record.MessageId, record.Change.Operation));
                        Remember(batch, record.Change, RecordStatus.Sent, result.DestinationId);
                        break;
                    case WriteStatus.Waiting:
                        batch.DeadLetters.Add(new DeadLetter(record.Change.Key, record.MessageId, result.Reason ?? "waiting", Encoding.UTF8.GetString(record.Payload.Span)) { Kind = DeadLetterKind.Waiting });
                        Remember(batch, record.Change, RecordStatus.Waiting, null);
                        break;
                    default:
                        Refuse(batch.DeadLetters, new DeadLetter(record.Change.Key, record.MessageId, result.Reason ?? "rejected", Encoding.UTF8.GetString(record.Payload.Span)));
                        Remember(batch, record.Change, RecordStatus.DeadLettered, null);
                        break;
                }
            }
        }

        /// <summary>A record is handled: its ledger entry (fingerprint, status, destination id) moves with the batch's commit.</summary>
        private void Remember(OutgoingBatch batch, Change change, RecordStatus status, string? destinationId)
        {
            if (KeepsRecordState(change))
            {
                batch.RecordStates.Add(LedgerEntryOf(change, status, destinationId));
            }
        }

        /// <summary>The change's ledger entry, written by this sync; a delete forgets the record (nothing left to remember of it).</summary>
        private RecordState LedgerEntryOf(Change change, RecordStatus status, string? destinationId) =>
            change.Operation == ChangeOperation.Delete
                ? RecordState.Forget(change.Key)
                : new RecordState(change.Key, change.Fingerprint) { Values = change.Watched, Status = status, DestinationId = destinationId, Origin = sync.Name };

        /// <summary>
        /// Whether the sync keeps a record ledger: every sync that needs per-record memory — a diffing source (its
        /// fingerprints; kinds it tells apart: added, changed, deleted), a destination that asks for it
        /// (<see cref="IDestination.RemembersRecords"/>: it hands back ids, or suppresses echoes), or processors (what they
        /// quarantined or deferred); a stream the engine diffs (a model over CDC) as any diffing source. A cursor or event sync to a destination without ids keeps none: the send ledger already
        /// says what was sent, and one durable row per record would cost the reverse-ETL path a third of its speed.
        /// </summary>
        private bool KeepsRecordState(Change change) =>
            (change.Kind != ChangeKinds.None && (!sync.Source.Streams || sync.Source.Diff is not null)) || sync.Destination.RemembersRecords || sync.Processors.Count > 0 || sync.WriteBack is not null;
    }
}
