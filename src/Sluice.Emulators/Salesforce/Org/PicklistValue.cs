namespace Sluice.Emulators.Salesforce.Org;

/// <summary>One entry of a picklist field's <c>picklistValues</c>.</summary>
/// <param name="Value">The API value stored and sent.</param>
/// <param name="Label">What the UI shows; the value unless declared.</param>
/// <param name="IsDefault">Whether a new record gets it when the field is not set.</param>
public sealed record PicklistValue(string Value, string Label, bool IsDefault = false);
