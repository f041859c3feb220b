using Sluice.Core.Connectors;
using Sluice.Core.Errors;
using Sluice.Core.Telemetry;

namespace Sluice.Core.Engine.Delivery;

public sealed partial class DeliveryService
{
    /// <summary>
    /// Writes records, and when the destination throws something unexpected (or refuses the whole write for one
    /// record), halves the batch until the record(s) that make it throw stand alone; those are refused with the
    /// reason, the others are written. A half that was written before its sibling failed may be written again
    /// when a transient failure retries the batch: harmless, as every record keeps its message id and
    /// destinations deduplicate on it.
    /// </summary>
    private async Task<IReadOnlyList<WriteResult>> WriteOrBisectAsync(IReadOnlyList<EncodedRecord> records, CancellationToken ct)
    {
        try
        {
            return await DestinationSpans.WriteAsync(_destination, records, ct);
        }
        catch (Exception e) when (UnexpectedFailure.Is(e) || e is SluiceException { Class: ErrorClass.RecordRejected })
        {
            if (records.Count == 1)
            {
                return [WriteResult.Rejected(e is SluiceException ? e.Message : UnexpectedFailure.Reason(_destination, e))];
            }
        }

        var half = records.Count / 2;
        var first = await WriteHalfAsync(records.Take(half).ToList(), ct);
        var second = await WriteHalfAsync(records.Skip(half).ToList(), ct);
        return [.. first, .. second];
    }

    private async Task<IReadOnlyList<WriteResult>> WriteHalfAsync(IReadOnlyList<EncodedRecord> half, CancellationToken ct)
    {
        // Every resend counts against the destination's rate budget like any other.
        await _gate.WaitAsync(BatchRequests, half.Count, _options.Lane, ct);
        var results = await WriteOrBisectAsync(half, ct);
        if (results.Count != half.Count)
        {
            throw SluiceException.Fatal($"{_destination.Description} answered {results.Count} results for {half.Count} records");
        }

        return results;
    }
}
