using System.Text;
using System.Threading.Channels;
using Sluice.Core.Connectors;
using Sluice.Core.Engine.Delivery;
using Sluice.Core.Engine.Processing;
using Sluice.Core.Errors;
using Sluice.Core.Records;
using Sluice.Core.State;

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
                if (batch.Records.Count > 0 && sync.Processors.Count > 0)
                {
                    await ProcessAsync(batch, ct);
                }

                if (batch.Records.Count > 0)
                {
                    await DeliverAsync(batch, ct);
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
            var (passed, heldBack) = await ProcessorStage.RunAsync(sync.Name, sync.Processors, batch.Records, ct);
            foreach (var (record, decision, by) in heldBack)
            {
                var reason = $"{by.Name}: {decision.Reason ?? "no reason given"}";
                switch (decision.Kind)
                {
                    case ProcessorDecisionKind.Quarantine:
                        Refuse(batch.DeadLetters, new DeadLetter(record.Change.Key, record.MessageId, reason, Encoding.UTF8.GetString(record.Payload.Span)) { Kind = DeadLetterKind.Quarantined });
                        break;
                    case ProcessorDecisionKind.Defer:
                        batch.DeadLetters.Add(new DeadLetter(record.Change.Key, record.MessageId, reason, Encoding.UTF8.GetString(record.Payload.Span)) { Kind = DeadLetterKind.Waiting });
                        break;
                }

                // Dropped, quarantined or waiting: handled all the same (the latter two are stored), so its fingerprint moves.
                Remember(batch, record.Change);
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
            _delivery ??= new DeliveryService(sync.Destination, sync.Gate, new DeliveryOptions
            {
                Retry = sync.Options.Retry,
                Lane = sync.Options.Lane,
                OnRetry = (reason, delay, attempt) => runner._observer.OnRetry(sync.Name, reason, delay, attempt),
            }, runner._time);
            var outcome = await _delivery.DeliverAsync(batch.Records, (settled, _) =>
            {
                Settle(batch, settled);
                return ValueTask.CompletedTask;
            }, ct);
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
                    case WriteStatus.Ok:
                        batch.Sent.Add(new LedgerEntry(record.Change.Key, record.MessageId, record.Change.Operation));
                        Remember(batch, record.Change);
                        break;
                    default:
                        Refuse(batch.DeadLetters, new DeadLetter(record.Change.Key, record.MessageId, result.Reason ?? "rejected", Encoding.UTF8.GetString(record.Payload.Span)));
                        Remember(batch, record.Change);
                        break;
                }
            }
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
    }
}
