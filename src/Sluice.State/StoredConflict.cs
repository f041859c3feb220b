namespace Sluice.State;

/// <summary>A conflict a two-way pair resolved for a record, as <c>sluice explain</c> shows it (<c>two_way_conflicts</c>).</summary>
public sealed record StoredConflict(
    string Pair,
    string Link,
    string ResolvedBy,
    string RecordKey,
    long? RunId,
    DateTimeOffset ResolvedAt,
    string Field,
    string SourceSide,
    string? SourceValue,
    DateTimeOffset? SourceModified,
    string DestinationSide,
    string? DestinationValue,
    DateTimeOffset? DestinationModified,
    string Rule,
    string Winner)
{
    /// <summary>The value <paramref name="side"/> held when the conflict was resolved.</summary>
    public string? ValueOf(string side) => side == SourceSide ? SourceValue : DestinationValue;

    /// <summary>When <paramref name="side"/>'s record was last modified then.</summary>
    public DateTimeOffset? ModifiedOf(string side) => side == SourceSide ? SourceModified : DestinationModified;

    /// <summary>The winner's value: what both sides hold once the pair has carried it.</summary>
    public string? WinningValue => ValueOf(Winner);
}
