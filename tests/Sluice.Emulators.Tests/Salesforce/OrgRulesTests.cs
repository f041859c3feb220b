using System.Text.Json.Nodes;
using Sluice.Emulators.Salesforce.Org;
using Sluice.Emulators.Tests.Segment;

namespace Sluice.Emulators.Tests.Salesforce;

/// <summary>The org's save path on its own: the rules every door (REST, collections, Bulk) shares.</summary>
public sealed class OrgRulesTests
{
    private static readonly OrgDefinition Definition = OrgFiles.WithSubscriptions();

    [Fact]
    public void A_created_record_gets_an_id_with_its_prefix_and_the_audit_fields()
    {
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, 123, TimeSpan.Zero));
        var org = new SalesforceOrg(Definition, time);

        var result = Insert(org, "Account", ("Name", "Initech"));

        Assert.True(result.Success);
        Assert.True(result.Created);
        Assert.StartsWith("001", result.Id, StringComparison.Ordinal);
        var record = org.Find(result.Id!)!;
        Assert.Equal(time.GetUtcNow(), record.Values["CreatedDate"]);
        Assert.Equal(time.GetUtcNow(), record.SystemModstamp);
        Assert.Equal(org.DefaultUserId, record.Values["CreatedById"]);
        Assert.Equal(org.DefaultUserId, record.Values["OwnerId"]);
        Assert.Equal(false, record.Values["IsDeleted"]);

        time.Now += TimeSpan.FromMinutes(5);
        Assert.True(Update(org, result.Id!, ("Phone", "555")).Success);
        var updated = org.Find(result.Id!)!;
        Assert.Equal(time.GetUtcNow(), updated.Values["LastModifiedDate"]);
        Assert.Equal(record.Values["CreatedDate"], updated.Values["CreatedDate"]);
    }

    [Theory]
    [InlineData("Contact", "FirstName", "Ada", StatusCodes.RequiredFieldMissing, "Required fields are missing: [LastName]")]
    [InlineData("Contact", "Email", "not-an-email", StatusCodes.InvalidEmailAddress, "Email: invalid email address: not-an-email")]
    [InlineData("Contact", "Shoe_Size__c", "44", StatusCodes.InvalidField, "No such column 'Shoe_Size__c' on sobject of type Contact")]
    [InlineData("Contact", "IsDeleted", "true", StatusCodes.InvalidFieldForInsertUpdate, "Unable to create/update fields: IsDeleted.")]
    [InlineData("Contact", "Birthdate", "yesterday", StatusCodes.InvalidTypeOnFieldInRecord, "Birthdate: value not of required type: yesterday")]
    public void A_record_breaking_an_org_rule_fails_with_salesforces_status_code(string objectName, string field, string value, string statusCode, string message)
    {
        var org = new SalesforceOrg(Definition);
        var fields = field == "FirstName" ? new[] { (field, (JsonNode?)value) } : new[] { ("LastName", (JsonNode?)"Lovelace"), (field, (JsonNode?)value) };

        var result = org.Save([new SaveRequest { Operation = SaveOperation.Insert, ObjectName = objectName, Fields = [.. fields.Select(f => KeyValuePair.Create(f.Item1, f.Item2))] }])[0];

        Assert.False(result.Success);
        Assert.Equal(statusCode, result.Errors[0].StatusCode);
        Assert.Contains(message, result.Errors[0].Message, StringComparison.Ordinal);
        Assert.Empty(org.Records(objectName));
    }

    [Fact]
    public void Text_length_restricted_picklists_and_number_precision_are_enforced()
    {
        var org = new SalesforceOrg(Definition);
        var account = Insert(org, "Account", ("Name", "Acme")).Id!;

        var tooLong = Insert(org, "Contact", ("LastName", new string('x', 81)));
        Assert.Equal(StatusCodes.StringTooLong, tooLong.Errors[0].StatusCode);
        Assert.Equal(["LastName"], tooLong.Errors[0].Fields);

        var badStatus = Insert(org, "Subscription__c", ("Name", "S1"), ("Account__c", account), ("Status__c", "Paused"));
        Assert.Equal(StatusCodes.RestrictedPicklist, badStatus.Errors[0].StatusCode);
        Assert.Equal("Status: bad value for restricted picklist field: Paused", badStatus.Errors[0].Message);

        var tooBig = Insert(org, "Subscription__c", ("Name", "S2"), ("Account__c", account), ("MRR__c", 12345678901234567m));
        Assert.Equal(StatusCodes.NumberOutsideValidRange, tooBig.Errors[0].StatusCode);

        var rounded = Insert(org, "Subscription__c", ("Name", "S3"), ("Account__c", account), ("MRR__c", 10.125m));
        Assert.True(rounded.Success);
        Assert.Equal(10.13m, org.Find(rounded.Id!)!.Values["MRR__c"]);
    }

    [Fact]
    public void External_ids_are_unique_ignoring_case_and_upsert_matches_them()
    {
        var org = new SalesforceOrg(Definition);
        var first = Upsert(org, "Account", "External_Id__c", ("External_Id__c", "acme-1"), ("Name", "Acme"));
        Assert.True(first.Created);

        var second = Upsert(org, "Account", "External_Id__c", ("External_Id__c", "ACME-1"), ("Name", "Acme Corp"));
        Assert.True(second.Success);
        Assert.False(second.Created);
        Assert.Equal(first.Id, second.Id);
        Assert.Equal("Acme Corp", org.Find(first.Id!)!.Values["Name"]);

        var duplicate = Insert(org, "Account", ("Name", "Other"), ("External_Id__c", "Acme-1"));
        Assert.Equal(StatusCodes.DuplicateValue, duplicate.Errors[0].StatusCode);
        Assert.Equal($"duplicate value found: External_Id__c duplicates value on record with id: {first.Id}", duplicate.Errors[0].Message);
    }

    [Fact]
    public void A_lookup_to_a_missing_or_deleted_parent_fails_and_a_parent_can_be_named_by_external_id()
    {
        var org = new SalesforceOrg(Definition);
        var missing = SalesforceId.Create("001", 999_999);
        Assert.Equal(StatusCodes.InvalidCrossReferenceKey, Insert(org, "Contact", ("LastName", "A"), ("AccountId", missing)).Errors[0].StatusCode);

        var account = Upsert(org, "Account", "External_Id__c", ("External_Id__c", "p-1"), ("Name", "Parent")).Id!;
        var byExternalId = org.Save([new SaveRequest
        {
            Operation = SaveOperation.Insert,
            ObjectName = "Contact",
            Fields = [new("LastName", "B"), new("Account", new JsonObject { ["External_Id__c"] = "p-1" })],
        }])[0];
        Assert.Equal(account, org.Find(byExternalId.Id!)!.Values["AccountId"]);
        var byColumn = Insert(org, "Contact", ("LastName", "C"), ("Account.External_Id__c", "P-1"));
        Assert.Equal(account, org.Find(byColumn.Id!)!.Values["AccountId"]);

        Assert.True(org.Save([new SaveRequest { Operation = SaveOperation.Delete, Id = account }])[0].Success);
        Assert.Equal(StatusCodes.EntityIsDeleted, Insert(org, "Contact", ("LastName", "D"), ("AccountId", account)).Errors[0].StatusCode);
        Assert.Equal(StatusCodes.InvalidField, Insert(org, "Contact", ("LastName", "E"), ("Account.External_Id__c", "nope")).Errors[0].StatusCode);
    }

    [Fact]
    public void A_campaign_has_each_contact_or_lead_once()
    {
        var org = new SalesforceOrg(Definition);
        var campaign = Insert(org, "Campaign", ("Name", "Launch")).Id!;
        var contact = Insert(org, "Contact", ("LastName", "A")).Id!;
        Assert.True(Insert(org, "CampaignMember", ("CampaignId", campaign), ("ContactId", contact)).Success);

        var again = Insert(org, "CampaignMember", ("CampaignId", campaign), ("ContactId", contact));

        Assert.Equal(StatusCodes.DuplicateValue, again.Errors[0].StatusCode);
        Assert.Equal("Already a campaign member.", again.Errors[0].Message);
        Assert.Single(org.Records("CampaignMember"));
    }

    [Fact]
    public void All_or_none_rolls_back_every_record_when_one_fails()
    {
        var org = new SalesforceOrg(Definition);
        var existing = Insert(org, "Account", ("Name", "Keep")).Id!;
        var results = org.Save(
            [
                Request(SaveOperation.Insert, "Account", ("Name", "New")),
                new SaveRequest { Operation = SaveOperation.Update, Id = existing, Fields = [new("Name", "Changed")] },
                new SaveRequest { Operation = SaveOperation.Delete, Id = existing },
                Request(SaveOperation.Insert, "Account", ("Phone", "1")),
            ],
            new SaveOptions { AllOrNone = true });

        Assert.Equal([StatusCodes.AllOrNoneRolledBack, StatusCodes.AllOrNoneRolledBack, StatusCodes.AllOrNoneRolledBack, StatusCodes.RequiredFieldMissing], results.Select(r => r.Errors[0].StatusCode));
        var account = Assert.Single(org.Records("Account"));
        Assert.Equal("Keep", account.Values["Name"]);
        Assert.Empty(org.Deleted("Account", DateTimeOffset.MinValue, DateTimeOffset.MaxValue));
    }

    [Fact]
    public void A_delete_keeps_the_record_for_query_all_and_logs_it()
    {
        var org = new SalesforceOrg(Definition);
        var id = Insert(org, "Lead", ("LastName", "L"), ("Company", "C")).Id!;
        Assert.Equal("Open - Not Contacted", org.Find(id)!.Values["Status"]);

        Assert.True(org.Save([new SaveRequest { Operation = SaveOperation.Delete, Id = id }])[0].Success);

        Assert.Empty(org.Records("Lead"));
        Assert.True(Assert.Single(org.Records("Lead", includeDeleted: true)).IsDeleted);
        Assert.Equal(id, Assert.Single(org.Deleted("Lead", DateTimeOffset.MinValue, DateTimeOffset.MaxValue)).Id);
        Assert.Equal(StatusCodes.EntityIsDeleted, org.Save([new SaveRequest { Operation = SaveOperation.Delete, Id = id }])[0].Errors[0].StatusCode);
    }

    internal static SaveResult Insert(SalesforceOrg org, string objectName, params (string Field, JsonNode? Value)[] fields) =>
        org.Save([Request(SaveOperation.Insert, objectName, fields)])[0];

    private static SaveResult Update(SalesforceOrg org, string id, params (string Field, JsonNode? Value)[] fields) =>
        org.Save([new SaveRequest { Operation = SaveOperation.Update, Id = id, Fields = [.. fields.Select(f => KeyValuePair.Create(f.Field, f.Value))] }])[0];

    private static SaveResult Upsert(SalesforceOrg org, string objectName, string externalId, params (string Field, JsonNode? Value)[] fields) =>
        org.Save([new SaveRequest { Operation = SaveOperation.Upsert, ObjectName = objectName, ExternalIdField = externalId, Fields = [.. fields.Select(f => KeyValuePair.Create(f.Field, f.Value))] }])[0];

    private static SaveRequest Request(SaveOperation operation, string objectName, params (string Field, JsonNode? Value)[] fields) =>
        new() { Operation = operation, ObjectName = objectName, Fields = [.. fields.Select(f => KeyValuePair.Create(f.Field, f.Value))] };
}
