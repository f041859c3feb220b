using Sluice.Emulators.Salesforce.Org;

namespace Sluice.Emulators.Tests.Salesforce;

/// <summary>Org definitions the Salesforce tests share.</summary>
internal static class OrgFiles
{
    /// <summary>The default user and app, Account.External_Id__c, and a Subscription__c custom object.</summary>
    public static OrgDefinition WithSubscriptions()
    {
        var org = OrgDefinition.Default();
        org.Objects["Account"] = new ObjectDefinition
        {
            Fields = { ["External_Id__c"] = new FieldDefinition { Type = "string", Length = 64, ExternalId = true, Unique = true } },
        };
        org.Objects["Contact"] = new ObjectDefinition
        {
            Fields = { ["External_Id__c"] = new FieldDefinition { Type = "string", Length = 64, ExternalId = true, Unique = true } },
        };
        org.Objects["Subscription__c"] = new ObjectDefinition
        {
            Fields =
            {
                ["External_Id__c"] = new FieldDefinition { Type = "string", Length = 64, ExternalId = true, Unique = true },
                ["Account__c"] = new FieldDefinition { Type = "reference", ReferenceTo = ["Account"], Required = true },
                ["Status__c"] = new FieldDefinition { Type = "picklist", Values = ["Active", "Cancelled"], Restricted = true },
                ["MRR__c"] = new FieldDefinition { Type = "currency", Precision = 16, Scale = 2 },
                ["Renewal_Date__c"] = new FieldDefinition { Type = "date" },
            },
        };
        return org;
    }
}
