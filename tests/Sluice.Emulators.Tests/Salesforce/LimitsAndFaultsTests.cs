using System.Net;
using System.Text.Json.Nodes;
using Sluice.Emulators.Salesforce;
using Sluice.Testing;

namespace Sluice.Emulators.Tests.Salesforce;

public sealed class LimitsAndFaultsTests
{
    private const string Api = SalesforceHarness.Api;

    [Fact]
    public async Task Every_api_answer_carries_the_daily_usage_and_the_limit_is_enforced_with_403()
    {
        var org = OrgFiles.WithSubscriptions();
        org.DailyApiRequests = 3;
        await using var harness = await SalesforceHarness.StartAsync(org);

        using (var first = await harness.SendAsync(HttpMethod.Get, $"{Api}/sobjects"))
        {
            Assert.Equal("api-usage=1/3", first.Headers.GetValues("Sforce-Limit-Info").Single());
        }

        var limits = await harness.JsonAsync(HttpMethod.Get, $"{Api}/limits");
        Assert.Equal(3, limits["DailyApiRequests"]!["Max"]!.GetValue<int>());
        Assert.Equal(1, limits["DailyApiRequests"]!["Remaining"]!.GetValue<int>());

        await harness.JsonAsync(HttpMethod.Get, $"{Api}/sobjects/Account/describe");
        using var over = await harness.SendAsync(HttpMethod.Get, $"{Api}/sobjects");
        var error = await SalesforceHarness.AssertErrorAsync(over, 403, "REQUEST_LIMIT_EXCEEDED");
        Assert.Equal("TotalRequests Limit exceeded.", error["message"]!.GetValue<string>());
        Assert.Equal("api-usage=3/3", over.Headers.GetValues("Sforce-Limit-Info").Single());
    }

    [Fact]
    public async Task The_daily_window_rolls_after_24_hours()
    {
        var time = new Segment.ManualTimeProvider(new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero));
        await using var harness = await SalesforceHarness.StartAsync(time: time);
        harness.Emulator.SetApiUsage(15_000);
        await SalesforceHarness.AssertErrorAsync(await harness.SendAsync(HttpMethod.Get, $"{Api}/limits"), 403, "REQUEST_LIMIT_EXCEEDED");

        time.Now = time.Now.AddHours(24).AddSeconds(1);

        // The token lives 2 hours: take a fresh one for the next day.
        harness.Http.DefaultRequestHeaders.Authorization = new("Bearer", harness.Emulator.IssueToken());
        using var next = await harness.SendAsync(HttpMethod.Get, $"{Api}/limits");
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Equal("api-usage=1/15000", next.Headers.GetValues("Sforce-Limit-Info").Single());
    }

    [Fact]
    public async Task Injected_request_faults_answer_403_and_503_and_are_logged()
    {
        await using var harness = await SalesforceHarness.StartAsync(faults: new SalesforceFaultOptions { RequestLimitRate = 1 });
        await SalesforceHarness.AssertErrorAsync(await harness.SendAsync(HttpMethod.Get, $"{Api}/sobjects"), 403, "REQUEST_LIMIT_EXCEEDED");

        harness.Emulator.SetFaults(new SalesforceFaultOptions { ServiceUnavailableRate = 1 });
        await SalesforceHarness.AssertErrorAsync(await harness.SendAsync(HttpMethod.Get, $"{Api}/sobjects"), 503, "SERVER_UNAVAILABLE");

        harness.Emulator.SetFaults(new SalesforceFaultOptions { DropConnectionRate = 1 });
        await Assert.ThrowsAsync<HttpRequestException>(() => harness.SendAsync(HttpMethod.Get, $"{Api}/sobjects"));

        // The client sees the cut connection before the server has finished logging it.
        await Eventually.HoldsAsync(() => harness.Emulator.Requests.Count == 3, "the dropped request is logged", state: () => $"{harness.Emulator.Requests.Count} requests logged");
        var log = harness.Emulator.Requests;
        Assert.Equal(["request-limit", "unavailable", "dropped"], log.Select(r => r.Fault));
        Assert.Equal([403, 503, 0], log.Select(r => r.Status));
        Assert.Equal(3, harness.Emulator.Stats.Faults);
    }

    [Fact]
    public async Task Lock_row_faults_fail_single_records_of_a_collection()
    {
        await using var harness = await SalesforceHarness.StartAsync(faults: new SalesforceFaultOptions { LockRowRate = 0.5, Seed = 7 });
        var records = new JsonArray([.. Enumerable.Range(0, 40).Select(i => (JsonNode)new JsonObject { ["attributes"] = new JsonObject { ["type"] = "Account" }, ["Name"] = $"A{i}" })]);

        var results = (await harness.JsonAsync(HttpMethod.Post, $"{Api}/composite/sobjects", new JsonObject { ["records"] = records })).AsArray();

        var locked = results.Where(r => !r!["success"]!.GetValue<bool>()).ToList();
        Assert.InRange(locked.Count, 1, 39);
        Assert.All(locked, r => Assert.Equal("UNABLE_TO_LOCK_ROW", r!["errors"]![0]!["statusCode"]!.GetValue<string>()));
        Assert.Equal(40 - locked.Count, harness.Emulator.Org.Records("Account").Count);
    }

    [Fact]
    public async Task The_request_log_keeps_the_clients_call_options_and_the_admin_api_lists_records()
    {
        await using var harness = await SalesforceHarness.StartAsync();
        var request = new HttpRequestMessage(HttpMethod.Post, $"{Api}/sobjects/Account") { Content = JsonContent("{\"Name\":\"Logged\"}") };
        request.Headers.Add("Sforce-Call-Options", "client=sluice-test");
        (await harness.Http.SendAsync(request)).Dispose();

        var entry = Assert.Single(harness.Emulator.Requests);
        Assert.Equal(("POST", $"{Api}/sobjects/Account", 201, "client=sluice-test"), (entry.Method, entry.Path, entry.Status, entry.CallOptions));

        using var admin = new HttpClient { BaseAddress = harness.Emulator.BaseUrl };
        var listed = JsonNode.Parse(await admin.GetStringAsync("/__emulator/records/Account"))!;
        Assert.Equal(1, listed["totalSize"]!.GetValue<int>());
        Assert.Equal("Logged", listed["records"]![0]!["Name"]!.GetValue<string>());
        var requests = JsonNode.Parse(await admin.GetStringAsync("/__emulator/requests"))!.AsArray();
        Assert.Equal("client=sluice-test", requests[0]!["callOptions"]!.GetValue<string>());

        (await admin.PostAsync("/__emulator/reset", null)).Dispose();
        Assert.Empty(harness.Emulator.Org.Records("Account"));
        Assert.Empty(harness.Emulator.Requests);
    }

    private static StringContent JsonContent(string json) => new(json, System.Text.Encoding.UTF8, "application/json");
}
