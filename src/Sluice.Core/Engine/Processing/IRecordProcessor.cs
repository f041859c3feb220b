namespace Sluice.Core.Engine.Processing;

/// <summary>
/// A stage between encoding and delivery that decides, a batch at a time, what becomes of each record:
/// <see cref="ProcessorDecision.Pass"/> it on, <see cref="ProcessorDecision.Quarantine"/> it with a reason,
/// <see cref="ProcessorDecision.Drop"/> it, or <see cref="ProcessorDecision.Defer"/> it until what it waits for
/// exists. This is where reference-table validation, find-or-create lookups and "parent not there yet" live.
/// </summary>
/// <remarks>
/// A processor sees whole batches so that what it looks up costs one query per batch (<see cref="IRecordLookup"/>),
/// never one per record. It must not write anywhere: the engine files its decisions with the batch's commit. Several
/// batches may be processed at once (one per send in flight).
/// </remarks>
public interface IRecordProcessor
{
    /// <summary>The processor's name, as messages and quarantine reasons show it.</summary>
    string Name { get; }

    /// <summary>One decision per record of <paramref name="batch"/>, in the batch's order.</summary>
    ValueTask<IReadOnlyList<ProcessorDecision>> ProcessAsync(ProcessorBatch batch, CancellationToken ct);
}
