namespace Sluice.Emulators.Salesforce.Soql;

/// <summary>One entry of the SELECT list: a field (path) or a COUNT.</summary>
internal abstract record SoqlSelectItem
{
    /// <summary>A field or a parent relationship field such as <c>Account.Name</c>.</summary>
    public sealed record Field(SoqlFieldPath Path) : SoqlSelectItem;

    /// <summary>
    /// <c>COUNT()</c> (no field: the answer is only <c>totalSize</c>) or <c>COUNT(Id) [alias]</c> (one aggregate
    /// record with <c>expr0</c> or the alias).
    /// </summary>
    public sealed record Count(SoqlFieldPath? Path, string? Alias) : SoqlSelectItem;
}
