using Sluice.Core.Connectors;
using Sluice.Core.Engine.Processing;
using Sluice.Core.Records;
using Sluice.Core.State;

namespace Sluice.Core.Engine.TwoWay;

/// <summary>
/// One direction of a two-way pair, as a processor on its sync: before a batch is written it reads, with one query each,
/// what the pair last agreed on for the batch's records (the state store) and what the destination holds now
/// (<see cref="ICurrentRecords"/>), and decides field by field.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>A field whose source value equals the agreed one did not change here: the destination keeps its value (if it
/// differs, that is the destination's own change, which the other sync of the pair carries back).</item>
/// <item>A field changed here and not there is written.</item>
/// <item>A field changed on both sides since they agreed, to different values, is a conflict: the rule picks the winner,
/// and the conflict is stored with both values.</item>
/// <item>A record with nothing to write is skipped, not sent: a change equal to what was agreed is the echo of
/// Sluice's own write into this side (its <c>changeOrigin</c> names Sluice's client, or Sluice's writing session
/// made it), and sending it back would loop.</item>
/// </list>
/// What is agreed afterwards is the source's values as read: a field the destination won differs from them until the
/// other sync carries the winner back, which then reads as a change of that side alone.
/// </remarks>
internal sealed class TwoWayProcessor(
    string pair,
    TwoWayOptions options,
    IReadOnlyList<TwoWayField> fields,
    string sourceSide,
    string destinationSide,
    bool linkBySourceKey,
    ICurrentRecords destination,
    IPairedRecordReader agreements) : IEnrichingProcessor
{
    private readonly string _sourceModified = options.Modified[sourceSide];
    private readonly string _destinationModified = options.Modified[destinationSide];

    public string Name => "two_way";

    /// <summary>The source's last-modified column, which <c>last_modified_wins</c> compares; read even when not mapped.</summary>
    public IReadOnlyList<string> Reads => [_sourceModified];

    public ValueTask<IReadOnlyList<SourceColumn>> DescribeAsync(CancellationToken ct) => ValueTask.FromResult<IReadOnlyList<SourceColumn>>([]);

    public async ValueTask<IReadOnlyList<ProcessorDecision>> ProcessAsync(ProcessorBatch batch, CancellationToken ct)
    {
        var records = batch.Records;
        var links = new string?[records.Count];
        for (var i = 0; i < records.Count; i++)
        {
            links[i] = linkBySourceKey ? records[i].Change.Key : records[i].KnownDestinationId;
        }

        var known = links.Where(l => l is not null).Select(l => l!).Distinct(StringComparer.Ordinal).ToList();
        var agreed = known.Count == 0 ? new Dictionary<string, IReadOnlyDictionary<string, string?>>() : await agreements.ReadAsync(pair, known, ct);
        var current = known.Count == 0
            ? new Dictionary<string, CurrentRecord>()
            : await destination.ReadCurrentAsync(known, [.. fields.Select(f => f.DestinationField)], _destinationModified, ct);

        var ordinals = fields.ToDictionary(f => f.Name, f => IndexOf(batch.Columns, f.SourceColumn));
        var modifiedOrdinal = IndexOf(batch.Columns, _sourceModified);
        var decisions = new ProcessorDecision[records.Count];
        for (var i = 0; i < records.Count; i++)
        {
            var change = records[i].Change;
            if (change.Operation == ChangeOperation.Delete)
            {
                // A delete goes as the sync's mode says; what was agreed about the record goes with it.
                decisions[i] = links[i] is { } gone ? ProcessorDecision.Pass with { Paired = new PairedRecord(pair, gone, change.Key, null) } : ProcessorDecision.Pass;
                continue;
            }

            var source = fields.ToDictionary(f => f.Name, f => ordinals[f.Name] is >= 0 and var o && o < change.Values.Length ? TwoWayValues.Text(change.Values[o]) : null);
            var sourceModified = modifiedOrdinal >= 0 && modifiedOrdinal < change.Values.Length ? TwoWayValues.Time(change.Values[modifiedOrdinal]) : null;
            if (links[i] is { } deleted && !linkBySourceKey && !current.ContainsKey(deleted))
            {
                // The record this one was linked to is gone from the destination (deleted there): a delete is not undone
                // by recreating it, and the link is forgotten.
                var forgotten = new PairedRecord(pair, deleted, change.Key, null);
                decisions[i] = ProcessorDecision.Skip($"its {destinationSide} record {deleted} was deleted there; two-way sync does not recreate it") with { Paired = forgotten };
                continue;
            }

            if (links[i] is not { } link || !current.TryGetValue(link, out var there))
            {
                // Not linked yet (a create), or gone from the destination: written as it is; agreed once acknowledged.
                decisions[i] = ProcessorDecision.Pass with { Paired = new PairedRecord(pair, links[i], change.Key, source) };
                continue;
            }

            decisions[i] = Decide(change, link, source, sourceModified, there, agreed.GetValueOrDefault(link));
        }

        return decisions;
    }

    private ProcessorDecision Decide(
        Change change, string link, Dictionary<string, string?> source, DateTimeOffset? sourceModified, CurrentRecord there, IReadOnlyDictionary<string, string?>? agreed)
    {
        var keepDestination = new Dictionary<string, object?>(StringComparer.Ordinal);
        var conflicts = new List<RecordConflict>();
        var writes = 0;
        foreach (var field in fields)
        {
            var mine = source[field.Name];
            var theirsRaw = there.Values.GetValueOrDefault(field.DestinationField);
            var theirs = TwoWayValues.Text(theirsRaw);
            if (string.Equals(mine, theirs, StringComparison.Ordinal))
            {
                continue;
            }

            string? basis = null;
            var hasBasis = agreed is not null && agreed.TryGetValue(field.Name, out basis);
            var changedHere = !hasBasis || !string.Equals(mine, basis, StringComparison.Ordinal);
            var changedThere = !hasBasis || !string.Equals(theirs, basis, StringComparison.Ordinal);
            var sourceWins = changedHere;
            if (changedHere && changedThere)
            {
                var rule = options.RuleFor(field.Name);
                var winner = rule == TwoWayOptions.OwnerRule
                    ? options.Owner[field.Name]
                    : sourceModified is { } s && (there.Modified is not { } d || s > d) ? sourceSide : destinationSide;
                sourceWins = winner == sourceSide;
                conflicts.Add(new RecordConflict(field.Name, sourceSide, mine, sourceModified, destinationSide, theirs, there.Modified, rule, winner));
            }

            if (sourceWins)
            {
                writes++;
            }
            else
            {
                // The destination's value stands: sent as it is there, so the write leaves it unchanged.
                keepDestination[field.SourceColumn] = theirsRaw;
            }
        }

        var paired = new PairedRecord(pair, link, change.Key, source) { Conflicts = conflicts };
        if (writes == 0)
        {
            var echo = agreed is not null && fields.All(f => string.Equals(source[f.Name], agreed.GetValueOrDefault(f.Name), StringComparison.Ordinal));
            var reason = echo
                ? $"echo: equals what {sourceSide} and {destinationSide} last agreed on{(change.OwnWrite ? $" (written by Sluice: {change.Origin})" : "")}; not sent back"
                : conflicts.Count > 0
                    ? $"conflict on {string.Join(", ", conflicts.Select(c => c.Field))} won by {destinationSide}; nothing else to write"
                    : $"{destinationSide} holds these values already";
            return ProcessorDecision.Skip(reason) with { Paired = paired };
        }

        return (keepDestination.Count == 0 ? ProcessorDecision.Pass : ProcessorDecision.Enrich(keepDestination)) with { Paired = paired };
    }

    private static int IndexOf(IReadOnlyList<string> columns, string column)
    {
        for (var i = 0; i < columns.Count; i++)
        {
            if (string.Equals(columns[i], column, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }
}
