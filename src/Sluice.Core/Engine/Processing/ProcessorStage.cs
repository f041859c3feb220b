using Sluice.Core.Connectors;
using Sluice.Core.Errors;

namespace Sluice.Core.Engine.Processing;

/// <summary>
/// Runs a sync's processors over one batch, in order: what one passes, the next sees. Returns the records every
/// processor passed and, for the others, the first decision that held them back.
/// </summary>
internal static class ProcessorStage
{
    public static async Task<(List<EncodedRecord> Passed, List<(EncodedRecord Record, ProcessorDecision Decision, IRecordProcessor By)> HeldBack)> RunAsync(
        string syncName, IReadOnlyList<IRecordProcessor> processors, List<EncodedRecord> records, CancellationToken ct)
    {
        var passed = records;
        var heldBack = new List<(EncodedRecord, ProcessorDecision, IRecordProcessor)>();
        foreach (var processor in processors)
        {
            if (passed.Count == 0)
            {
                break;
            }

            var decisions = await processor.ProcessAsync(new ProcessorBatch(syncName, passed), ct);
            if (decisions.Count != passed.Count)
            {
                throw SluiceException.Fatal($"sync '{syncName}': processor '{processor.Name}' decided on {decisions.Count} of {passed.Count} records; it must decide on each");
            }

            var next = new List<EncodedRecord>(passed.Count);
            for (var i = 0; i < passed.Count; i++)
            {
                if (decisions[i].Kind == ProcessorDecisionKind.Pass)
                {
                    next.Add(passed[i]);
                }
                else
                {
                    heldBack.Add((passed[i], decisions[i], processor));
                }
            }

            passed = next;
        }

        return (passed, heldBack);
    }
}
