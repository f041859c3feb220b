namespace Sluice.Emulators.Salesforce.Org;

/// <summary>One record written by a committed save, as Change Data Capture sees it.</summary>
/// <param name="Type">What happened to the record.</param>
/// <param name="Before">The record before the save; null when it was created.</param>
/// <param name="After">The record as saved (for a delete: in the recycle bin).</param>
internal sealed record RecordChange(RecordChangeType Type, SObjectRecord? Before, SObjectRecord After);
