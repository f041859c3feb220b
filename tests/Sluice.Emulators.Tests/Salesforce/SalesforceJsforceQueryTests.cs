using System.Text.Json.Nodes;
using Sluice.Emulators.Salesforce.Org;

namespace Sluice.Emulators.Tests.Salesforce;

/// <summary>jsforce 3.10.16, unchanged, querying the emulator: autoFetch across queryMore, queryAll, relationships.</summary>
public sealed class SalesforceJsforceQueryTests
{
    [Fact]
    public async Task Jsforce_queries_with_autofetch_relationships_query_all_and_gets_soql_errors()
    {
        await using var emulator = await JsforceQueryBulkRunner.StartAsync();
        var org = emulator.Org;
        var accounts = org.Save([.. Enumerable.Range(0, 5000).Select(i => new SaveRequest
        {
            Operation = SaveOperation.Insert,
            ObjectName = "Account",
            Fields = [new("Name", $"Account {i:D4}")],
        })]);
        Assert.All(accounts, r => Assert.True(r.Success));
        var contacts = org.Save([.. Enumerable.Range(0, 5).Select(i => new SaveRequest
        {
            Operation = SaveOperation.Insert,
            ObjectName = "Contact",
            Fields = [new("LastName", $"Contact {i}"), new("Email", i == 2 ? null : JsonValue.Create($"c{i}@example.com")), new("AccountId", accounts[i].Id)],
        })]);
        Assert.All(contacts, r => Assert.True(r.Success));
        var deleted = org.Save([new SaveRequest { Operation = SaveOperation.Delete, Id = accounts[4999].Id }]);
        Assert.True(deleted[0].Success);

        var result = await JsforceQueryBulkRunner.RunAsync(emulator, "jsforce-query.mjs");

        Assert.Equal(4999, result["total"]!.GetValue<int>());
        Assert.Equal(4999, result["fetched"]!.GetValue<int>());
        Assert.True(result["done"]!.GetValue<bool>());
        Assert.Equal("Account 0000", result["first"]!.GetValue<string>());
        Assert.Equal("Account 4998", result["last"]!.GetValue<string>());
        Assert.Equal("Account", result["attributes"]!["type"]!.GetValue<string>());
        Assert.Equal($"/services/data/v62.0/sobjects/Account/{accounts[0].Id}", result["attributes"]!["url"]!.GetValue<string>());
        Assert.Equal(500, result["manualBatch"]!.GetValue<int>());
        Assert.False(result["manualDone"]!.GetValue<bool>());
        Assert.Equal(500, result["moreBatch"]!.GetValue<int>());

        var related = result["related"]!.AsArray();
        Assert.Equal(["Contact 4", "Contact 3", "Contact 1"], related.Select(r => r!["LastName"]!.GetValue<string>()));
        Assert.Equal("Account 0004", related[0]!["Account"]!["Name"]!.GetValue<string>());
        Assert.Equal("admin@sluice.test", related[0]!["Account"]!["Owner"]!["Email"]!.GetValue<string>());
        Assert.Equal("User", related[0]!["Account"]!["Owner"]!["attributes"]!["type"]!.GetValue<string>());

        var gone = Assert.Single(result["deleted"]!.AsArray());
        Assert.Equal("Account 4999", gone!["name"]!.GetValue<string>());
        Assert.True(gone["isDeleted"]!.GetValue<bool>());
        Assert.Equal(4999, result["liveCount"]!.GetValue<int>());

        Assert.Equal("INVALID_FIELD", result["error"]!["errorCode"]!.GetValue<string>());
        Assert.Contains("No such column 'Nme' on entity 'Account'", result["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);

        // Three pages of autoFetch, two manual pages and four single queries: every call counted.
        var queryCalls = emulator.Requests.Count(r => r.Path.Contains("/query", StringComparison.Ordinal));
        Assert.Equal(9, queryCalls);
    }
}
