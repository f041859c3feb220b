namespace Sluice.Emulators.Salesforce.Soql;

/// <summary>
/// What a query found: the matching records in answer order (after ORDER BY, OFFSET and LIMIT) with the shape to
/// write them in; or, for <c>COUNT()</c>, only the count; or, for <c>COUNT(Id)</c>, one aggregate record.
/// </summary>
internal sealed record SoqlResult(
    SoqlQuery Query,
    SoqlProjection? Projection,
    IReadOnlyList<ISoqlRow> Rows,
    int TotalSize,
    IReadOnlyList<KeyValuePair<string, long>>? Aggregate)
{
    /// <summary>The selected paths in query order, as the column names of a Bulk query's CSV (<c>Account.Name</c>).</summary>
    public IReadOnlyList<SoqlBoundPath> Columns { get; init; } = [];
}
