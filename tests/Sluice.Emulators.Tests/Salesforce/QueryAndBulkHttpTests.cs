using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Sluice.Emulators.Salesforce;
using Sluice.Emulators.Salesforce.Org;
using Sluice.Testing;

namespace Sluice.Emulators.Tests.Salesforce;

/// <summary>The query and Bulk resources over HTTP, as a client other than jsforce sees them.</summary>
public sealed class QueryAndBulkHttpTests
{
    [Fact]
    public async Task A_query_all_cursor_is_served_under_query_and_every_call_is_counted()
    {
        await using var emulator = await JsforceQueryBulkRunner.StartAsync();
        var saved = emulator.Org.Save([.. Enumerable.Range(0, 300).Select(i => new SaveRequest { Operation = SaveOperation.Insert, ObjectName = "Account", Fields = [new("Name", $"A{i:D3}")] })]);
        emulator.Org.Save([.. saved.Take(100).Select(r => new SaveRequest { Operation = SaveOperation.Delete, Id = r.Id })]);
        using var http = await LoginAsync(emulator);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/services/data/v62.0/queryAll?q=" + Uri.EscapeDataString("SELECT Id, Name, IsDeleted FROM Account ORDER BY Name"));
        request.Headers.Add("Sforce-Query-Options", "batchSize=200");
        using var first = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var firstBody = (await first.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(300, firstBody["totalSize"]!.GetValue<int>());
        Assert.True(firstBody["records"]![0]!["IsDeleted"]!.GetValue<bool>());
        var next = firstBody["nextRecordsUrl"]!.GetValue<string>();
        Assert.StartsWith("/services/data/v62.0/query/01g", next, StringComparison.Ordinal);

        var second = (await http.GetFromJsonAsync<JsonObject>(next))!;
        Assert.True(second["done"]!.GetValue<bool>());
        Assert.Equal(100, second["records"]!.AsArray().Count);
        Assert.Equal("A299", second["records"]![99]!["Name"]!.GetValue<string>());
        Assert.Contains("api-usage=1/", string.Join(',', first.Headers.GetValues("Sforce-Limit-Info")), StringComparison.Ordinal);
        Assert.Equal(2, emulator.Stats.ApiRequestsUsed);

        using var again = await http.GetAsync(next);
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        Assert.Equal("INVALID_QUERY_LOCATOR", (await again.Content.ReadFromJsonAsync<JsonArray>())![0]!["errorCode"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_malformed_query_answers_salesforces_error_array()
    {
        await using var emulator = await JsforceQueryBulkRunner.StartAsync();
        using var http = await LoginAsync(emulator);

        using var response = await http.GetAsync("/services/data/v62.0/query?q=" + Uri.EscapeDataString("SELECT Id FROM Account WHERE"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonArray>())![0]!;
        Assert.Equal("MALFORMED_QUERY", error["errorCode"]!.GetValue<string>());
        Assert.Equal("\nSELECT Id FROM Account WHERE\n                            ^\nERROR at Row:1:Column:29\nunexpected token: '<EOF>'", error["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_crlf_ingest_job_and_a_paged_query_job_over_http()
    {
        await using var emulator = await JsforceQueryBulkRunner.StartAsync();
        using var http = await LoginAsync(emulator);

        var created = await http.PostAsJsonAsync("/services/data/v62.0/jobs/ingest", new { @object = "Account", operation = "insert", lineEnding = "CRLF", columnDelimiter = "SEMICOLON" });
        var job = (await created.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("Open", job["state"]!.GetValue<string>());
        Assert.Equal("V2Ingest", job["jobType"]!.GetValue<string>());
        Assert.Equal($"services/data/v62.0/jobs/ingest/{job["id"]}/batches", job["contentUrl"]!.GetValue<string>());
        var id = job["id"]!.GetValue<string>();
        Assert.StartsWith("750", id, StringComparison.Ordinal);

        using var csv = new StringContent("Name;NumberOfEmployees\r\n\"Semi; colon\";5\r\nPlain;x\r\n", Encoding.UTF8, "text/csv");
        Assert.Equal(HttpStatusCode.Created, (await http.PutAsync($"/services/data/v62.0/jobs/ingest/{id}/batches", csv)).StatusCode);
        var closed = await http.PatchAsJsonAsync($"/services/data/v62.0/jobs/ingest/{id}", new { state = "UploadComplete" });
        Assert.Equal("UploadComplete", (await closed.Content.ReadFromJsonAsync<JsonObject>())!["state"]!.GetValue<string>());

        JsonObject info = null!;
        await Eventually.HoldsAsync(async () =>
        {
            info = (await http.GetFromJsonAsync<JsonObject>($"/services/data/v62.0/jobs/ingest/{id}"))!;
            return info["state"]!.GetValue<string>() == "JobComplete";
        }, "the ingest job completes");
        Assert.Equal(2, info["numberRecordsProcessed"]!.GetValue<int>());
        Assert.Equal(1, info["numberRecordsFailed"]!.GetValue<int>());
        var failed = await http.GetStringAsync($"/services/data/v62.0/jobs/ingest/{id}/failedResults/");
        Assert.StartsWith("\"sf__Id\",\"sf__Error\",\"Name\",\"NumberOfEmployees\"\n\"\",\"INVALID_TYPE_ON_FIELD_IN_RECORD:", failed, StringComparison.Ordinal);
        Assert.Equal("Semi; colon", Assert.Single(emulator.Org.Records("Account")).Values["Name"]);

        var queryJob = (await (await http.PostAsJsonAsync("/services/data/v62.0/jobs/query", new { operation = "query", query = "SELECT Name FROM Account" })).Content.ReadFromJsonAsync<JsonObject>())!;
        var queryId = queryJob["id"]!.GetValue<string>();
        await Eventually.HoldsAsync(async () =>
            (await http.GetFromJsonAsync<JsonObject>($"/services/data/v62.0/jobs/query/{queryId}"))!["state"]!.GetValue<string>() == "JobComplete", "the query job completes");
        using var results = await http.GetAsync($"/services/data/v62.0/jobs/query/{queryId}/results?maxRecords=10");
        Assert.Equal("null", results.Headers.GetValues("Sforce-Locator").Single());
        Assert.Equal("1", results.Headers.GetValues("Sforce-NumberOfRecords").Single());
        Assert.Equal("\"Name\"\n\"Semi; colon\"\n", await results.Content.ReadAsStringAsync());

        // Create, upload, close, polls, results: each Bulk call is one API request.
        var versioned = emulator.Requests.Count(r => r.Path.StartsWith("/services/data/v", StringComparison.Ordinal));
        Assert.Equal(versioned, emulator.Stats.ApiRequestsUsed);
    }

    private static async Task<HttpClient> LoginAsync(SalesforceEmulator emulator)
    {
        var http = new HttpClient { BaseAddress = emulator.BaseUrl };
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password",
            ["username"] = "admin@sluice.test",
            ["password"] = "sluice",
            ["client_id"] = "sluice-client",
            ["client_secret"] = "sluice-secret",
        });
        using var token = await http.PostAsync("/services/oauth2/token", form);
        Assert.Equal(HttpStatusCode.OK, token.StatusCode);
        var body = (await token.Content.ReadFromJsonAsync<JsonObject>())!;
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", body["access_token"]!.GetValue<string>());
        return http;
    }
}
