namespace Sluice.Emulators.Salesforce.Soql;

/// <summary>A parsed SOQL SELECT: what the parser hands to the evaluator.</summary>
internal sealed record SoqlQuery(
    IReadOnlyList<SoqlSelectItem> Select,
    string From,
    int FromPosition,
    SoqlCondition? Where,
    IReadOnlyList<SoqlOrderItem> OrderBy,
    int? Limit,
    int? Offset)
{
    /// <summary>The text it was parsed from, for error messages that quote it.</summary>
    public string Text { get; init; } = "";

    /// <summary><c>SELECT COUNT() FROM …</c>: the answer carries only <c>totalSize</c>.</summary>
    public bool IsCountOnly => Select is [SoqlSelectItem.Count { Path: null }];

    /// <summary><c>SELECT COUNT(Id) FROM …</c>: one AggregateResult record.</summary>
    public bool IsAggregate => Select.Any(item => item is SoqlSelectItem.Count);
}
