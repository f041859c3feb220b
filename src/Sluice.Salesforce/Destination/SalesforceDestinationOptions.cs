using Sluice.Core.Configuration;

namespace Sluice.Salesforce.Destination;

/// <summary>A sync's <c>destination:</c> when it is a Salesforce connection (docs/salesforce.md).</summary>
public sealed class SalesforceDestinationOptions
{
    /// <summary>The default <see cref="BulkThreshold"/>: from this many records in a batch, Bulk API 2.0 is used.</summary>
    public const int DefaultBulkThreshold = 2_000;

    /// <summary>The sObject written (<c>Account</c>, <c>Subscription__c</c>). Required.</summary>
    public required string Object { get; init; }

    public ConfigLocation? ObjectLocation { get; init; }

    /// <summary>Default upsert.</summary>
    public SalesforceOperation Operation { get; init; } = SalesforceOperation.Upsert;

    /// <summary>The external-id field an upsert matches on (and an update or delete finds records by). Required for upsert.</summary>
    public string? ExternalId { get; init; }

    public ConfigLocation? ExternalIdLocation { get; init; }

    /// <summary>
    /// Find-or-create (<c>match: {Email: email}</c>): the Salesforce field a record the ledger has no Id for is looked up
    /// by (case-insensitive), with the source column it is matched to. Found → updated by its Id; not found → created
    /// (upserted by <see cref="ExternalId"/> when there is one). <c>null</c>: no lookup.
    /// </summary>
    public (string Field, string Column)? Match { get; init; }

    public ConfigLocation? MatchLocation { get; init; }

    /// <summary>Deletes the Salesforce record when the source row is deleted. Default false.</summary>
    public bool Delete { get; init; }

    /// <summary>From this many records in a batch, Bulk API 2.0 ingest is used instead of sObject Collections. Default <see cref="DefaultBulkThreshold"/>.</summary>
    public int BulkThreshold { get; init; } = DefaultBulkThreshold;

    /// <summary>Per-field encoding options (<c>fields:</c>), by Salesforce field name.</summary>
    public IReadOnlyDictionary<string, SalesforceFieldOptions> Fields { get; init; } = new Dictionary<string, SalesforceFieldOptions>();

    public static SalesforceDestinationOptions Bind(ConfigSection destination)
    {
        var operation = destination.GetEnum<SalesforceOperation>("operation") ?? SalesforceOperation.Upsert;
        var externalId = destination.GetString("external_id");
        (string, string)? match = null;
        if (destination.GetSection("match") is { } matchSection)
        {
            if (matchSection.Keys.Count != 1 || matchSection.GetString(matchSection.Keys[0]) is not { } column)
            {
                throw new ConfigException(destination.LocationOf("match"), "'match' names one Salesforce field and the source column it is found by",
                    "write e.g. 'match: {Email: email}', and map the field too ('Email: email')");
            }

            match = (matchSection.Keys[0], column);
        }

        if (operation == SalesforceOperation.Upsert && externalId is null && match is null)
        {
            throw new ConfigException(destination.LocationOf("external_id"), "an upsert needs 'external_id' or 'match'",
                "name the external-id field records are matched on, e.g. 'external_id: External_Id__c', and map it: 'External_Id__c: id'; " +
                "on an object without one, find records by a field: 'match: {Email: email}'");
        }

        // A delete finds the record by the Id the ledger keeps for the row (or by the external id when there is one).
        var deletes = destination.GetBool("delete") ?? false;

        var fields = new Dictionary<string, SalesforceFieldOptions>(StringComparer.OrdinalIgnoreCase);
        if (destination.GetSection("fields") is { } section)
        {
            foreach (var name in section.Keys)
            {
                fields[name] = SalesforceFieldOptions.Bind(section.RequireSection(name, $"write the field's options, e.g. '{name}: {{truncate: true}}'"));
            }
        }

        var options = new SalesforceDestinationOptions
        {
            Object = destination.RequireString("object", "name the sObject to write, e.g. 'object: Account' or 'object: Subscription__c'"),
            ObjectLocation = destination.LocationOf("object"),
            Operation = operation,
            ExternalId = externalId,
            ExternalIdLocation = destination.LocationOf("external_id"),
            Match = match,
            MatchLocation = destination.LocationOf("match"),
            Delete = deletes,
            BulkThreshold = destination.GetInt("bulk_threshold", 1, 150_000_000) ?? DefaultBulkThreshold,
            Fields = fields,
        };
        destination.RejectUnknownKeys(["connection"]);
        return options;
    }
}
