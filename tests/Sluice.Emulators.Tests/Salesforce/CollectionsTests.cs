using System.Text.Json.Nodes;

namespace Sluice.Emulators.Tests.Salesforce;

public sealed class CollectionsTests
{
    private const string Api = SalesforceHarness.Api;

    [Fact]
    public async Task Create_answers_one_result_per_record_in_order_with_status_codes_for_failures()
    {
        await using var harness = await SalesforceHarness.StartAsync();
        var body = new JsonObject
        {
            ["allOrNone"] = false,
            ["records"] = new JsonArray(
                Record("Contact", ("LastName", "One")),
                Record("Contact", ("FirstName", "No last name")),
                Record("Account", ("Name", "Mixed types are fine"))),
        };

        var results = (await harness.JsonAsync(HttpMethod.Post, $"{Api}/composite/sobjects", body)).AsArray();

        Assert.Equal([true, false, true], results.Select(r => r!["success"]!.GetValue<bool>()));
        var error = results[1]!["errors"]![0]!;
        Assert.Equal("REQUIRED_FIELD_MISSING", error["statusCode"]!.GetValue<string>());
        Assert.Equal("LastName", error["fields"]![0]!.GetValue<string>());
        Assert.Null(results[1]!["id"]);
        Assert.StartsWith("001", results[2]!["id"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task All_or_none_commits_nothing_and_marks_the_valid_records_rolled_back()
    {
        await using var harness = await SalesforceHarness.StartAsync();
        var body = new JsonObject
        {
            ["allOrNone"] = true,
            ["records"] = new JsonArray(Record("Account", ("Name", "A")), Record("Account", ("Phone", "no name"))),
        };

        var results = (await harness.JsonAsync(HttpMethod.Post, $"{Api}/composite/sobjects", body)).AsArray();

        Assert.Equal("ALL_OR_NONE_OPERATION_ROLLED_BACK", results[0]!["errors"]![0]!["statusCode"]!.GetValue<string>());
        Assert.Equal("REQUIRED_FIELD_MISSING", results[1]!["errors"]![0]!["statusCode"]!.GetValue<string>());
        Assert.Empty(harness.Emulator.Org.Records("Account"));
    }

    [Fact]
    public async Task Upsert_update_retrieve_and_delete_by_collection()
    {
        await using var harness = await SalesforceHarness.StartAsync();
        var upsert = new JsonObject
        {
            ["allOrNone"] = false,
            ["records"] = new JsonArray(
                Record("Account", ("External_Id__c", "a1"), ("Name", "One")),
                Record("Account", ("External_Id__c", "a2"), ("Name", "Two"))),
        };
        var first = (await harness.JsonAsync(HttpMethod.Patch, $"{Api}/composite/sobjects/Account/External_Id__c", upsert)).AsArray();
        Assert.All(first, r => Assert.True(r!["created"]!.GetValue<bool>()));
        var again = (await harness.JsonAsync(HttpMethod.Patch, $"{Api}/composite/sobjects/Account/External_Id__c", upsert)).AsArray();
        Assert.All(again, r => Assert.False(r!["created"]!.GetValue<bool>()));
        var ids = first.Select(r => r!["id"]!.GetValue<string>()).ToArray();

        var update = new JsonObject { ["records"] = new JsonArray(Record("Account", ("id", ids[0]), ("Phone", "555"))) };
        Assert.True((await harness.JsonAsync(HttpMethod.Patch, $"{Api}/composite/sobjects", update))[0]!["success"]!.GetValue<bool>());

        var retrieved = (await harness.JsonAsync(HttpMethod.Post, $"{Api}/composite/sobjects/Account", new { ids = new[] { ids[0], ids[1] }, fields = new[] { "Name", "Phone" } })).AsArray();
        Assert.Equal("555", retrieved[0]!["Phone"]!.GetValue<string>());
        Assert.Equal("Two", retrieved[1]!["Name"]!.GetValue<string>());

        var deleted = (await harness.JsonAsync(HttpMethod.Delete, $"{Api}/composite/sobjects?ids={ids[0]},{ids[1]}&allOrNone=false")).AsArray();
        Assert.All(deleted, r => Assert.True(r!["success"]!.GetValue<bool>()));
        Assert.Empty(harness.Emulator.Org.Records("Account"));
    }

    [Fact]
    public async Task More_than_200_records_is_refused_as_a_whole()
    {
        await using var harness = await SalesforceHarness.StartAsync();
        var records = new JsonArray([.. Enumerable.Range(0, 201).Select(i => (JsonNode)Record("Account", ("Name", $"A{i}")))]);

        using var response = await harness.SendAsync(HttpMethod.Post, $"{Api}/composite/sobjects", new JsonObject { ["records"] = records });

        await SalesforceHarness.AssertErrorAsync(response, 400, "EXCEEDED_ID_LIMIT");
        Assert.Empty(harness.Emulator.Org.Records("Account"));
    }

    private static JsonObject Record(string type, params (string Field, JsonNode? Value)[] fields)
    {
        var record = new JsonObject { ["attributes"] = new JsonObject { ["type"] = type } };
        foreach (var (field, value) in fields)
        {
            record[field] = value;
        }

        return record;
    }
}
