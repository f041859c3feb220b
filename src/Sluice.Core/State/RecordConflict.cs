namespace Sluice.Core.State;

/// <summary>
/// A field a two-way sync found changed on both sides since they last agreed, and how it was resolved. Sides are named by
/// their system (<c>postgres</c>, <c>salesforce</c>).
/// </summary>
/// <param name="Field">The field, by its name on the Salesforce side (the pair's field names).</param>
/// <param name="SourceSide">The side the sync read the change from.</param>
/// <param name="SourceValue">Its value there, as text.</param>
/// <param name="SourceModified">When the record was last modified there.</param>
/// <param name="DestinationSide">The side the sync writes to.</param>
/// <param name="DestinationValue">Its value there, as text.</param>
/// <param name="DestinationModified">When the record was last modified there.</param>
/// <param name="Rule">The rule that decided: <c>last_modified_wins</c> or <c>owner</c>.</param>
/// <param name="Winner">The side whose value both sides now hold.</param>
public sealed record RecordConflict(
    string Field,
    string SourceSide,
    string? SourceValue,
    DateTimeOffset? SourceModified,
    string DestinationSide,
    string? DestinationValue,
    DateTimeOffset? DestinationModified,
    string Rule,
    string Winner);
