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
        private ResiliencePipeline? _retry;

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
    }
}
