using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Emulators.Salesforce.Bulk;
using Sluice.Emulators.Salesforce.Org;
using Sluice.Emulators.Salesforce.Soql;
using Sluice.Emulators.Tests.Segment;
using Sluice.Testing;

namespace Sluice.Emulators.Tests.Salesforce;

/// <summary>query/queryMore cursors and Bulk query jobs over a real org.</summary>
public sealed class QueryCursorAndBulkQueryTests
{
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly SalesforceOrg _org;
    private readonly QueryService _queries;

    public QueryCursorAndBulkQueryTests()
    {
        _org = new SalesforceOrg(OrgFiles.WithSubscriptions(), _time);
        _queries = new QueryService(_org, TimeSpan.FromMinutes(15));
        var requests = Enumerable.Range(0, 4500).Select(i => new SaveRequest
        {
            Operation = SaveOperation.Insert,
            ObjectName = "Account",
            Fields = [new("Name", $"Account {i:D4}"), new("External_Id__c", $"e{i}"), new("NumberOfEmployees", i % 3 == 0 ? null : JsonValue.Create(i))],
        }).ToList();
        Assert.All(_org.Save(requests), r => Assert.True(r.Success));
    }

    [Fact]
    public void A_large_answer_comes_in_batches_behind_a_locator()
    {
        var first = Run("SELECT Id, Name FROM Account ORDER BY Name", 2000);
        Assert.Equal(4500, first["totalSize"]!.GetValue<int>());
        Assert.False(first["done"]!.GetValue<bool>());
        Assert.Equal(2000, first["records"]!.AsArray().Count);
        var next = first["nextRecordsUrl"]!.GetValue<string>();
        Assert.Matches("^/services/data/v62.0/query/01g[0-9A-Za-z]{15}-2000$", next);

        var second = More(next.Split('/')[^1], null);
        Assert.Equal("Account 2000", second["records"]![0]!["Name"]!.GetValue<string>());
        var third = More(second["nextRecordsUrl"]!.GetValue<string>().Split('/')[^1], null);
        Assert.True(third["done"]!.GetValue<bool>());
        Assert.Null(third["nextRecordsUrl"]);
        Assert.Equal(500, third["records"]!.AsArray().Count);
        Assert.Equal("Account 4499", third["records"]![499]!["Name"]!.GetValue<string>());
        Assert.Equal(0, _queries.OpenCursors);
    }

    [Fact]
    public void The_batch_size_option_is_honoured_within_200_to_2000()
    {
        Assert.Equal(500, QueryService.ParseBatchSize("batchSize=500"));
        Assert.Equal(200, QueryService.ParseBatchSize("batchSize=5"));
        Assert.Equal(2000, QueryService.ParseBatchSize("batchSize=100000"));
        Assert.Null(QueryService.ParseBatchSize(null));
        Assert.Equal(500, Run("SELECT Id FROM Account", 500)["records"]!.AsArray().Count);
    }

    [Fact]
    public void A_cursor_left_unused_expires()
    {
        var first = Run("SELECT Id FROM Account", 2000);
        var locator = first["nextRecordsUrl"]!.GetValue<string>().Split('/')[^1];
        _time.Now += TimeSpan.FromMinutes(16);

        var error = Assert.Throws<SoqlException>(() => More(locator, null));
        Assert.Equal("INVALID_QUERY_LOCATOR", error.ErrorCode);
        Assert.Throws<SoqlException>(() => More("01gnonsense-2000", null));
    }

    [Fact]
    public async Task A_bulk_query_job_pages_its_csv_by_locator()
    {
        var bulk = new BulkService(_org, _queries);
        var job = bulk.CreateQuery(new JsonObject { ["operation"] = "query", ["query"] = "SELECT Id, Name, NumberOfEmployees FROM Account WHERE Name LIKE 'Account 000%' ORDER BY Name" }, "62.0", _org.DefaultUserId);
        await Eventually.HoldsAsync(() => BulkJobState.IsTerminal(job.State), "the query job finishes", state: () => job.State);
        Assert.Equal(BulkJobState.JobComplete, job.State);
        Assert.Equal(10, job.NumberRecordsProcessed);

        var (page1, count1, locator1) = bulk.QueryResults(job.Id, null, 4);
        Assert.Equal(4, count1);
        Assert.NotEqual("null", locator1);
        var lines = page1.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("\"Id\",\"Name\",\"NumberOfEmployees\"", lines[0]);
        Assert.EndsWith(",\"Account 0000\",", lines[1], StringComparison.Ordinal);
        Assert.EndsWith(",\"Account 0001\",\"1\"", lines[2], StringComparison.Ordinal);

        var (_, count2, locator2) = bulk.QueryResults(job.Id, locator1, 4);
        var (page3, count3, locator3) = bulk.QueryResults(job.Id, locator2, 4);
        Assert.Equal((4, 2, "null"), (count2, count3, locator3));
        Assert.EndsWith(",\"Account 0009\",", page3.TrimEnd('\n').Split('\n')[^1], StringComparison.Ordinal);

        var (all, countAll, last) = bulk.QueryResults(job.Id, null, null);
        Assert.Equal((10, "null"), (countAll, last));
        Assert.Equal(11, all.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void A_bad_bulk_query_is_refused_at_creation()
    {
        var bulk = new BulkService(_org, _queries);
        var error = Assert.Throws<BulkApiException>(() => bulk.CreateQuery(new JsonObject { ["operation"] = "query", ["query"] = "SELECT Nope FROM Account" }, "62.0", _org.DefaultUserId));
        Assert.Equal("INVALID_FIELD", error.ErrorCode);
    }

    private JsonNode Run(string soql, int batchSize) => Write(writer => _queries.Run(writer, soql, false, batchSize, "62.0"));

    private JsonNode More(string locator, int? batchSize) => Write(writer => _queries.More(writer, locator, batchSize, "62.0"));

    private static JsonNode Write(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        return JsonNode.Parse(Encoding.UTF8.GetString(buffer.ToArray()))!;
    }
}
