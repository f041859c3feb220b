namespace Sluice.Emulators.Salesforce.Org;

/// <summary>An entry of the org's delete log (getDeleted).</summary>
/// <param name="ObjectName">The record's object.</param>
/// <param name="Id">18-character id.</param>
/// <param name="DeletedDate">When it was deleted.</param>
public sealed record DeletedRecord(string ObjectName, string Id, DateTimeOffset DeletedDate);
