using Sluice.Core.Connectors;
using Sluice.Core.Errors;
using Sluice.Core.Records;

namespace Sluice.Core.Engine.Processing;

/// <summary>
/// Runs a sync's processors over one batch, in order: what one passes, the next sees. Returns the records every
/// processor passed and, for the others, the first decision that held them back.
/// </summary>
internal static class ProcessorStage
{
    public static async Task<(List<EncodedRecord> Passed, List<(EncodedRecord Record, ProcessorDecision Decision, IRecordProcessor By)> HeldBack)> RunAsync(
        string syncName, IReadOnlyList<IRecordProcessor> processors, List<EncodedRecord> records, CancellationToken ct,
        IReadOnlyList<string>? columns = null, Func<Change, (EncodedRecord? Record, string? Refusal)>? encode = null)
    {
        var passed = records;
        var heldBack = new List<(EncodedRecord, ProcessorDecision, IRecordProcessor)>();
        foreach (var processor in processors)
        {
            if (passed.Count == 0)
            {
                break;
            }

            var decisions = await processor.ProcessAsync(new ProcessorBatch(syncName, passed) { Columns = columns ?? [] }, ct);
            if (decisions.Count != passed.Count)
            {
                throw SluiceException.Fatal($"sync '{syncName}': processor '{processor.Name}' decided on {decisions.Count} of {passed.Count} records; it must decide on each");
            }

            var next = new List<EncodedRecord>(passed.Count);
            for (var i = 0; i < passed.Count; i++)
            {
                if (decisions[i] is { Kind: ProcessorDecisionKind.Pass, Values: { } values })
                {
                    // Enriched: encoded again with the added values; one the destination refuses now is held back.
                    var (record, refusal) = Reencode(syncName, processor, passed[i], values, columns, encode);
                    if (record is not null)
                    {
                        record.Paired = decisions[i].Paired ?? passed[i].Paired;
                        next.Add(record);
                    }
                    else
                    {
                        heldBack.Add((passed[i], ProcessorDecision.Quarantine(refusal!), processor));
                    }
                }
                else if (decisions[i].Kind == ProcessorDecisionKind.Pass)
                {
                    passed[i].Paired = decisions[i].Paired ?? passed[i].Paired;
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

    private static (EncodedRecord? Record, string? Refusal) Reencode(
        string syncName, IRecordProcessor processor, EncodedRecord record, IReadOnlyDictionary<string, object?> values,
        IReadOnlyList<string>? columns, Func<Change, (EncodedRecord?, string?)>? encode)
    {
        if (columns is null || encode is null)
        {
            throw SluiceException.Fatal($"sync '{syncName}': processor '{processor.Name}' enriched a record where no columns can be added");
        }

        var widened = (object?[])record.Change.Values.Clone();
        foreach (var (column, value) in values)
        {
            var ordinal = IndexOf(columns, column);
            if (ordinal < 0 || ordinal >= widened.Length)
            {
                continue; // a column the mapping does not send
            }

            widened[ordinal] = value;
        }

        var (encoded, refusal) = encode(record.Change.WithValues(widened));
        if (encoded is not null)
        {
            encoded.KnownDestinationId = record.KnownDestinationId;
        }

        return (encoded, refusal);
    }

    private static int IndexOf(IReadOnlyList<string> columns, string column)
    {
        for (var i = 0; i < columns.Count; i++)
        {
            if (columns[i] == column)
            {
                return i;
            }
        }

        return -1;
    }
}
