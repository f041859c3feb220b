using System.Text.Json.Nodes;

namespace Sluice.Emulators.Salesforce.Org;

/// <summary>
/// One record for <see cref="SalesforceOrg.Save"/>. <see cref="Fields"/> holds the values as the client sent
/// them: JSON from REST, or JSON strings made from CSV cells by Bulk (every type also accepts its text form).
/// A parent can be set through its external id either as <c>"Account": {"External_Id__c": "a1"}</c> or as a
/// <c>"Account.External_Id__c": "a1"</c> key (Bulk's column form). <c>attributes</c> is ignored.
/// </summary>
public sealed class SaveRequest
{
    /// <summary>What to do.</summary>
    public required SaveOperation Operation { get; init; }

    /// <summary>The sObject type. For update and delete it may be null: the id's key prefix decides.</summary>
    public string? ObjectName { get; init; }

    /// <summary>The record id for update and delete (15 or 18 characters).</summary>
    public string? Id { get; init; }

    /// <summary>For upsert: the external-id field (or <c>Id</c>) to match on; its value is taken from <see cref="Fields"/>.</summary>
    public string? ExternalIdField { get; init; }

    /// <summary>Field values in the order sent. Empty for delete.</summary>
    public IReadOnlyList<KeyValuePair<string, JsonNode?>> Fields { get; init; } = [];
}
