using Polly;
using Sluice.Core.Connectors;
using Sluice.Core.Errors;

namespace Sluice.Core.Engine.Delivery;

/// <summary>
/// The one way records reach a destination: gate (the destination's <see cref="DeliveryGate"/>: its rate budget and
/// the pause a <c>429</c> sets) → write (halving the batch around a record that makes the destination throw) →
/// settle (each record acknowledged, refused, or to be sent again) → retry (<see cref="RetryPipeline"/>: backoff with
/// jitter, and every <c>Retry-After</c> pauses the gate for every sender on the destination). What settled is handed
/// to the caller as it settles, for its ledger: a sync run files it with the batch's commit, a dead-letter replay
/// records it at once.
/// </summary>
/// <remarks>
/// Sync runs, dead-letter replays (and a future quarantine release) of one destination share its gate, so a pause one
/// of them gets holds the others. Records keep their message ids on every resend, so a resend is harmless downstream.
/// </remarks>
public sealed partial class DeliveryService
{
    private readonly IDestination _destination;
    private readonly DeliveryGate _gate;
    private readonly DeliveryOptions _options;
    private readonly ResiliencePipeline _retry;

    /// <param name="destination">Where the records go.</param>
    /// <param name="gate">The destination's gate: the one every sender on the destination uses.</param>
    /// <param name="options">Retries and lane.</param>
    /// <param name="time">The clock every wait uses.</param>
    public DeliveryService(IDestination destination, DeliveryGate gate, DeliveryOptions options, TimeProvider time)
    {
        _destination = destination;
        _gate = gate;
        _options = options;
        _retry = RetryPipeline.Create(options.Retry, time, gate, options.OnRetry ?? ((_, _, _) => { }), options.Random);
    }

    // A destination that counts each of its requests at the gate itself is not charged one more for the batch.
    private int BatchRequests => _destination is ICountsOwnRequests ? 0 : 1;

    /// <summary>
    /// Sends <paramref name="records"/> until each is acknowledged or refused, handing every wave of settled records to
    /// <paramref name="settled"/> before anything is sent again. Records the destination asks to retry are sent again,
    /// alone, under the retry pipeline. When the retries run out, the outcome names the records still unsettled and
    /// the last failure; failures that are not transient (a <see cref="ErrorClass.Fatal"/>, a cancellation) propagate.
    /// </summary>
    public async Task<DeliveryOutcome> DeliverAsync(IReadOnlyList<EncodedRecord> records, Func<IReadOnlyList<SettledRecord>, CancellationToken, ValueTask> settled, CancellationToken ct)
    {
        if (records.Count == 0)
        {
            return DeliveryOutcome.AllSettled;
        }

        var pending = records;
        var context = RetryPipeline.NewContext(ct);
        try
        {
            await _retry.ExecuteAsync(async (ctx, _) =>
            {
                await _gate.WaitAsync(BatchRequests, pending.Count, _options.Lane, ctx.CancellationToken);
                var results = await WriteOrBisectAsync(pending, ctx.CancellationToken);
                (pending, var asked) = await SettleAsync(pending, results, settled, ctx.CancellationToken);
                if (asked is not null)
                {
                    throw asked;
                }
            }, context, 0);
            return DeliveryOutcome.AllSettled;
        }
        catch (SluiceException e) when (e.IsRetryable)
        {
            return new DeliveryOutcome(pending, e);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>
    /// Hands acknowledged and refused records to the caller; returns the ones to send again, with the transient error
    /// (carrying the longest <c>Retry-After</c> asked) that makes the pipeline send them.
    /// </summary>
    private async Task<(IReadOnlyList<EncodedRecord> Again, SluiceException? Asked)> SettleAsync(
        IReadOnlyList<EncodedRecord> sent, IReadOnlyList<WriteResult> results, Func<IReadOnlyList<SettledRecord>, CancellationToken, ValueTask> settled, CancellationToken ct)
    {
        if (results.Count != sent.Count)
        {
            throw SluiceException.Fatal($"{_destination.Description} answered {results.Count} results for {sent.Count} records");
        }

        var answered = new List<SettledRecord>(sent.Count);
        List<EncodedRecord>? again = null;
        TimeSpan? retryAfter = null;
        string? reason = null;
        for (var i = 0; i < sent.Count; i++)
        {
            if (results[i].Status == WriteStatus.Retry)
            {
                (again ??= []).Add(sent[i]);
                reason ??= results[i].Reason;
                if (results[i].RetryAfter is { } after && (retryAfter is null || after > retryAfter))
                {
                    retryAfter = after;
                }
            }
            else
            {
                answered.Add(new SettledRecord(sent[i], results[i]));
            }
        }

        if (answered.Count > 0)
        {
            await settled(answered, ct);
        }

        return again is null ? ([], null) : (again, SluiceException.Transient($"{again.Count} records asked to be retried: {reason}", retryAfter: retryAfter));
    }
}
