using System.Text.Json.Nodes;

namespace Sluice.Emulators.Tests.Salesforce;

/// <summary>jsforce 3.10.16, unchanged, running Bulk API 2.0 ingest and query jobs against the emulator.</summary>
public sealed class SalesforceJsforceBulkTests
{
    [Fact]
    public async Task Jsforce_bulk2_upserts_with_per_record_failures_and_queries_the_result()
    {
        await using var emulator = await JsforceQueryBulkRunner.StartAsync();

        var result = await JsforceQueryBulkRunner.RunAsync(emulator, "jsforce-bulk.mjs", new { count = 2500 });

        var first = result["first"]!;
        Assert.Equal(2498, first["successful"]!.GetValue<int>());
        Assert.Equal(2498, first["created"]!.GetValue<int>());
        Assert.Equal(0, first["unprocessed"]!.GetValue<int>());
        Assert.StartsWith("001", first["sampleId"]!.GetValue<string>(), StringComparison.Ordinal);
        var failed = first["failed"]!.AsArray();
        Assert.Equal(["acc-7", "acc-8"], failed.Select(f => f!["ext"]!.GetValue<string>()));
        Assert.StartsWith("REQUIRED_FIELD_MISSING:Required fields are missing: [Name]", failed[0]!["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.StartsWith("STRING_TOO_LONG:", failed[1]!["error"]!.GetValue<string>(), StringComparison.Ordinal);

        var second = result["second"]!;
        Assert.Equal(2498, second["successful"]!.GetValue<int>());
        Assert.Equal(0, second["created"]!.GetValue<int>());
        Assert.Equal(2, second["failed"]!.AsArray().Count);
        Assert.Equal(2498, emulator.Org.Records("Account").Count);

        var contacts = result["contacts"]!;
        Assert.Equal(1, contacts["successful"]!.GetValue<int>());
        Assert.StartsWith("INVALID_EMAIL_ADDRESS:", Assert.Single(contacts["failed"]!.AsArray())!.GetValue<string>(), StringComparison.Ordinal);

        var queried = Assert.Single(result["queried"]!.AsArray())!;
        Assert.Equal("Lovelace", queried["LastName"]!.GetValue<string>());
        Assert.Equal("Account 1", queried["Account.Name"]!.GetValue<string>());
        Assert.Equal(2498, result["accountCount"]!.GetValue<int>());

        // Every Bulk call counts against the daily API counter: create, upload, close, polls, three results, per job.
        var bulkCalls = emulator.Requests.Where(r => r.Path.Contains("/jobs/", StringComparison.Ordinal)).ToList();
        Assert.Equal(emulator.Requests.Count(r => r.Path.StartsWith("/services/data/v", StringComparison.Ordinal)), emulator.Stats.ApiRequestsUsed);
        Assert.Equal(3, bulkCalls.Count(r => r.Method == "PUT"));
    }
}
