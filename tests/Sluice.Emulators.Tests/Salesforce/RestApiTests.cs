using System.Net;
using System.Text.Json.Nodes;
using Sluice.Emulators.Salesforce.Org;

namespace Sluice.Emulators.Tests.Salesforce;

public sealed class RestApiTests
{
    private const string Api = SalesforceHarness.Api;

    [Fact]
    public async Task Versions_are_listed_without_a_session_and_uncounted_and_versions_outside_31_to_62_are_not_found()
    {
        await using var harness = await SalesforceHarness.StartAsync();
        using var anonymous = new HttpClient { BaseAddress = harness.Emulator.BaseUrl };

        using var versions = await anonymous.GetAsync("/services/data/");
        Assert.Equal(HttpStatusCode.OK, versions.StatusCode);
        Assert.False(versions.Headers.Contains("Sforce-Limit-Info"));
        var list = JsonNode.Parse(await versions.Content.ReadAsStringAsync())!.AsArray();
        Assert.Equal("31.0", list[0]!["version"]!.GetValue<string>());
        Assert.Equal("62.0", list[^1]!["version"]!.GetValue<string>());
        Assert.Equal("/services/data/v62.0", list[^1]!["url"]!.GetValue<string>());

        await SalesforceHarness.AssertErrorAsync(await harness.SendAsync(HttpMethod.Get, "/services/data/v30.0/sobjects"), 404, "NOT_FOUND");
        await SalesforceHarness.AssertErrorAsync(await harness.SendAsync(HttpMethod.Get, "/services/data/v63.0/sobjects"), 404, "NOT_FOUND");
        await harness.JsonAsync(HttpMethod.Get, "/services/data/v31.0/sobjects");
        Assert.Equal(1, harness.Emulator.Stats.ApiRequestsUsed);
    }

    [Fact]
    public async Task Describe_shows_types_lengths_precision_picklists_external_ids_and_relationships()
    {
        await using var harness = await SalesforceHarness.StartAsync();

        var global = await harness.JsonAsync(HttpMethod.Get, $"{Api}/sobjects");
        var names = global["sobjects"]!.AsArray().Select(s => s!["name"]!.GetValue<string>()).ToList();
        Assert.Contains("CampaignMember", names);
        Assert.Contains("Subscription__c", names);

        var opportunity = await harness.JsonAsync(HttpMethod.Get, $"{Api}/sobjects/Opportunity/describe");
        Assert.Equal("006", opportunity["keyPrefix"]!.GetValue<string>());
        var amount = Field(opportunity, "Amount");
        Assert.Equal("currency", amount["type"]!.GetValue<string>());
        Assert.Equal(18, amount["precision"]!.GetValue<int>());
        Assert.Equal(2, amount["scale"]!.GetValue<int>());
        var name = Field(opportunity, "Name");
        Assert.Equal(120, name["length"]!.GetValue<int>());
        Assert.False(name["nillable"]!.GetValue<bool>());
        var accountId = Field(opportunity, "AccountId");
        Assert.Equal("Account", accountId["referenceTo"]![0]!.GetValue<string>());
        Assert.Equal("Account", accountId["relationshipName"]!.GetValue<string>());
        Assert.Equal("xsd:dateTime", Field(opportunity, "SystemModstamp")["soapType"]!.GetValue<string>());
        Assert.False(Field(opportunity, "SystemModstamp")["createable"]!.GetValue<bool>());

        var subscription = await harness.JsonAsync(HttpMethod.Get, $"{Api}/sobjects/Subscription__c/describe");
        Assert.True(subscription["custom"]!.GetValue<bool>());
        var external = Field(subscription, "External_Id__c");
        Assert.True(external["externalId"]!.GetValue<bool>());
        Assert.True(external["idLookup"]!.GetValue<bool>());
        Assert.True(external["unique"]!.GetValue<bool>());
        var status = Field(subscription, "Status__c");
        Assert.True(status["restrictedPicklist"]!.GetValue<bool>());
        Assert.Equal(["Active", "Cancelled"], status["picklistValues"]!.AsArray().Select(v => v!["value"]!.GetValue<string>()));
        Assert.Equal("Account__r", Field(subscription, "Account__c")["relationshipName"]!.GetValue<string>());

        await SalesforceHarness.AssertErrorAsync(await harness.SendAsync(HttpMethod.Get, $"{Api}/sobjects/Nope__c/describe"), 404, "NOT_FOUND");
    }

    [Fact]
    public async Task Create_read_update_and_delete_answer_as_salesforce_does()
    {
        await using var harness = await SalesforceHarness.StartAsync();

        var created = await harness.JsonAsync(HttpMethod.Post, $"{Api}/sobjects/Contact", new { LastName = "Lovelace", Email = "ada@example.com" }, 201);
        var id = created["id"]!.GetValue<string>();
        Assert.True(created["success"]!.GetValue<bool>());
        Assert.Empty(created["errors"]!.AsArray());
        Assert.StartsWith("003", id, StringComparison.Ordinal);

        var read = await harness.JsonAsync(HttpMethod.Get, $"{Api}/sobjects/Contact/{id}?fields=LastName,Email,CreatedDate");
        Assert.Equal("Contact", read["attributes"]!["type"]!.GetValue<string>());
        Assert.Equal($"{Api}/sobjects/Contact/{id}", read["attributes"]!["url"]!.GetValue<string>());
        Assert.Equal("Lovelace", read["LastName"]!.GetValue<string>());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$", read["CreatedDate"]!.GetValue<string>());
        Assert.Null(read["FirstName"]);

        // 15-character and lower-cased 18-character ids find the same record.
        await harness.JsonAsync(HttpMethod.Get, $"{Api}/sobjects/Contact/{id[..15]}");
        await harness.JsonAsync(HttpMethod.Get, $"{Api}/sobjects/Contact/{id.ToLowerInvariant()}");

        using (var patch = await harness.SendAsync(HttpMethod.Patch, $"{Api}/sobjects/Contact/{id}", new { FirstName = "Ada" }))
        {
            Assert.Equal(HttpStatusCode.NoContent, patch.StatusCode);
        }

        Assert.Equal("Ada Lovelace", harness.Emulator.Org.Find(id)!.Values["Name"]);

        var tooLong = await SalesforceHarness.AssertErrorAsync(await harness.SendAsync(HttpMethod.Patch, $"{Api}/sobjects/Contact/{id}", new { LastName = new string('x', 81) }), 400, "STRING_TOO_LONG");
        Assert.Equal("LastName", tooLong["fields"]![0]!.GetValue<string>());
        await SalesforceHarness.AssertErrorAsync(await harness.SendAsync(HttpMethod.Post, $"{Api}/sobjects/Contact", new { FirstName = "No last name" }), 400, "REQUIRED_FIELD_MISSING");
        await SalesforceHarness.AssertErrorAsync(await harness.SendAsync(HttpMethod.Post, $"{Api}/sobjects/Contact", new { LastName = "X", Foo__c = 1 }), 400, "INVALID_FIELD");
        await SalesforceHarness.AssertErrorAsync(await harness.SendAsync(HttpMethod.Post, $"{Api}/sobjects/Contact", "{not json"), 400, "JSON_PARSER_ERROR");

        using (var delete = await harness.SendAsync(HttpMethod.Delete, $"{Api}/sobjects/Contact/{id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        }

        await SalesforceHarness.AssertErrorAsync(await harness.SendAsync(HttpMethod.Get, $"{Api}/sobjects/Contact/{id}"), 404, "ENTITY_IS_DELETED");
        await SalesforceHarness.AssertErrorAsync(await harness.SendAsync(HttpMethod.Get, $"{Api}/sobjects/Contact/{SalesforceId.Create("003", 987_654)}"), 404, "NOT_FOUND");
    }

    [Fact]
    public async Task Upsert_creates_with_201_and_updates_with_200_from_v46_and_204_before()
    {
        await using var harness = await SalesforceHarness.StartAsync();

        var created = await harness.JsonAsync(HttpMethod.Patch, $"{Api}/sobjects/Account/External_Id__c/acme", new { Name = "Acme" }, 201);
        Assert.True(created["created"]!.GetValue<bool>());
        var id = created["id"]!.GetValue<string>();

        var updated = await harness.JsonAsync(HttpMethod.Patch, $"{Api}/sobjects/Account/External_Id__c/acme", new { Name = "Acme Corp" }, 200);
        Assert.False(updated["created"]!.GetValue<bool>());
        Assert.Equal(id, updated["id"]!.GetValue<string>());

        using (var old = await harness.SendAsync(HttpMethod.Patch, "/services/data/v45.0/sobjects/Account/External_Id__c/acme", new { Name = "Acme Inc" }))
        {
            Assert.Equal(HttpStatusCode.NoContent, old.StatusCode);
        }

        var byExternalId = await harness.JsonAsync(HttpMethod.Get, $"{Api}/sobjects/Account/External_Id__c/ACME");
        Assert.Equal("Acme Inc", byExternalId["Name"]!.GetValue<string>());
        Assert.Single(harness.Emulator.Org.Records("Account"));
        await SalesforceHarness.AssertErrorAsync(await harness.SendAsync(HttpMethod.Patch, $"{Api}/sobjects/Account/Name/acme", new { Phone = "1" }), 404, "NOT_FOUND");
    }

    [Fact]
    public async Task Get_updated_and_get_deleted_cover_whole_minutes_of_the_replication_window()
    {
        var time = new Segment.ManualTimeProvider(new DateTimeOffset(2026, 3, 1, 10, 0, 30, TimeSpan.Zero));
        await using var harness = await SalesforceHarness.StartAsync(time: time);
        var id = (await harness.JsonAsync(HttpMethod.Post, $"{Api}/sobjects/Account", new { Name = "A" }, 201))["id"]!.GetValue<string>();
        var kept = (await harness.JsonAsync(HttpMethod.Post, $"{Api}/sobjects/Account", new { Name = "Kept" }, 201))["id"]!.GetValue<string>();
        time.Now = time.Now.AddMinutes(2);
        await harness.SendAsync(HttpMethod.Delete, $"{Api}/sobjects/Account/{id}");
        time.Now = time.Now.AddMinutes(2);

        var updated = await harness.JsonAsync(HttpMethod.Get, $"{Api}/sobjects/Account/updated?start=2026-03-01T10%3A00%3A00%2B00%3A00&end=2026-03-01T10%3A01%3A00%2B00%3A00");
        Assert.Equal(kept, Assert.Single(updated["ids"]!.AsArray())!.GetValue<string>());
        Assert.Equal("2026-03-01T10:01:00.000+0000", updated["latestDateCovered"]!.GetValue<string>());

        var deleted = await harness.JsonAsync(HttpMethod.Get, $"{Api}/sobjects/Account/deleted/?start=2026-03-01T10:00:00Z&end=2026-03-01T11:00:00Z");
        var entry = Assert.Single(deleted["deletedRecords"]!.AsArray())!;
        Assert.Equal(id, entry["id"]!.GetValue<string>());
        Assert.Equal("2026-03-01T10:02:30.000+0000", entry["deletedDate"]!.GetValue<string>());
        Assert.Equal("2026-03-01T10:04:00.000+0000", deleted["latestDateCovered"]!.GetValue<string>());
    }

    [Fact]
    public async Task Composite_runs_subrequests_in_order_with_references_and_all_or_none_rolls_back()
    {
        await using var harness = await SalesforceHarness.StartAsync();
        var body = JsonNode.Parse($$$"""
            {"allOrNone": false, "compositeRequest": [
              {"method": "POST", "url": "{{{Api}}}/sobjects/Account", "referenceId": "acct", "body": {"Name": "Parent"}},
              {"method": "POST", "url": "{{{Api}}}/sobjects/Contact", "referenceId": "ct", "body": {"LastName": "Kid", "AccountId": "@{acct.id}"}},
              {"method": "GET", "url": "{{{Api}}}/sobjects/Contact/@{ct.id}?fields=AccountId", "referenceId": "read"}
            ]}
            """);

        var answer = await harness.JsonAsync(HttpMethod.Post, $"{Api}/composite", body);

        var responses = answer["compositeResponse"]!.AsArray();
        Assert.Equal([201, 201, 200], responses.Select(r => r!["httpStatusCode"]!.GetValue<int>()));
        Assert.Equal(responses[0]!["body"]!["id"]!.GetValue<string>(), responses[2]!["body"]!["AccountId"]!.GetValue<string>());
        Assert.StartsWith($"{Api}/sobjects/Account/", responses[0]!["httpHeaders"]!["Location"]!.GetValue<string>(), StringComparison.Ordinal);

        var failing = JsonNode.Parse($$$"""
            {"allOrNone": true, "compositeRequest": [
              {"method": "POST", "url": "{{{Api}}}/sobjects/Account", "referenceId": "ok", "body": {"Name": "Rolled back"}},
              {"method": "POST", "url": "{{{Api}}}/sobjects/Contact", "referenceId": "bad", "body": {"FirstName": "no last name"}}
            ]}
            """);
        var rolledBack = (await harness.JsonAsync(HttpMethod.Post, $"{Api}/composite", failing))["compositeResponse"]!.AsArray();
        Assert.Equal("PROCESSING_HALTED", rolledBack[0]!["body"]![0]!["errorCode"]!.GetValue<string>());
        Assert.Equal("REQUIRED_FIELD_MISSING", rolledBack[1]!["body"]![0]!["errorCode"]!.GetValue<string>());
        Assert.DoesNotContain(harness.Emulator.Org.Records("Account"), r => (string?)r.Values["Name"] == "Rolled back");
    }

    private static JsonNode Field(JsonNode describe, string name) =>
        describe["fields"]!.AsArray().Single(f => f!["name"]!.GetValue<string>() == name)!;
}
