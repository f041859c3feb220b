namespace Sluice.Core.Engine.Processing;

/// <summary>A processor's decision on one record.</summary>
/// <remarks>
/// <list type="bullet">
/// <item><b>pass</b>: on to the next processor, then to the destination.</item>
/// <item><b>quarantine</b>: not sent; stored with its reason and payload (status <c>quarantined</c>, shown by
/// <c>sluice dlq list</c>) in the batch's commit, while the rest of the batch flows. Counts against <c>max_rejected</c>.</item>
/// <item><b>drop</b>: handled, not sent: the checkpoint and the record's fingerprint move as for a sent record.</item>
/// <item><b>defer</b>: "waiting for a parent": not sent now, stored with its reason and payload (status
/// <c>waiting</c>) in the batch's commit, so the checkpoint moving past it never loses it silently; <c>sluice dlq
/// replay</c> sends it once its parent exists.</item>
/// </list>
/// </remarks>
public readonly record struct ProcessorDecision(ProcessorDecisionKind Kind, string? Reason)
{
    public static ProcessorDecision Pass { get; } = new(ProcessorDecisionKind.Pass, null);

    /// <summary>
    /// Pass with the values of the columns an <see cref="IEnrichingProcessor"/> adds, by column name: the record is
    /// encoded again with them before it is sent (a column left out stays NULL).
    /// </summary>
    public IReadOnlyDictionary<string, object?>? Values { get; init; }

    /// <summary>
    /// What a two-way pair stores for the record once it is handled (acknowledged, or skipped): the values both sides
    /// agree on and the conflicts resolved (<see cref="TwoWay.TwoWayProcessor"/>); <c>null</c> for every other processor.
    /// </summary>
    public State.PairedRecord? Paired { get; init; }

    public static ProcessorDecision Enrich(IReadOnlyDictionary<string, object?> values) => new(ProcessorDecisionKind.Pass, null) { Values = values };

    public static ProcessorDecision Drop { get; } = new(ProcessorDecisionKind.Drop, null);

    /// <summary>Drop with the reason it was handled without sending (a lookup with no match), as the run's log and counts show it.</summary>
    public static ProcessorDecision Skip(string reason) => new(ProcessorDecisionKind.Drop, reason);

    public static ProcessorDecision Quarantine(string reason) => new(ProcessorDecisionKind.Quarantine, reason);

    public static ProcessorDecision Defer(string reason) => new(ProcessorDecisionKind.Defer, reason);
}
