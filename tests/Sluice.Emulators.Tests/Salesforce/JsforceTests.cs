using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Emulators.Salesforce;
using Sluice.Emulators.Salesforce.Org;
using Sluice.Testing;

namespace Sluice.Emulators.Tests.Salesforce;

/// <summary>
/// jsforce 3.10.16, unchanged (pinned by Salesforce/node/package-lock.json; only its login and instance URL point
/// at the emulator), drives the emulator: if Salesforce's most used Node client is happy, the emulator is faithful.
/// Each scenario is a module in Salesforce/node run by run.mjs, which prints its result as JSON.
/// </summary>
public sealed class JsforceTests
{
    private const string Username = "admin@sluice.test";
    private const string Password = "sluice";
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(90);

    [Theory]
    [InlineData("password")]
    [InlineData("soap")]
    [InlineData("client_credentials")]
    public async Task Jsforce_logs_in_by_each_flow_and_reads_its_user_and_org_from_the_id_url(string flow)
    {
        await using var harness = await SalesforceHarness.StartAsync();

        var result = await RunAsync(harness.Emulator, "login.mjs", new { flow, username = Username, password = Password });

        Assert.Equal(harness.Emulator.Org.DefaultUserId, result["userId"]!.GetValue<string>());
        Assert.Equal(harness.Emulator.Org.OrganizationId, result["organizationId"]!.GetValue<string>());
        Assert.Equal(harness.Emulator.InstanceUrl, result["instanceUrl"]!.GetValue<string>());
        Assert.Equal(15_000 - 1, result["remaining"]!.GetValue<int>());
    }

    [Fact]
    public async Task Jsforce_logs_in_with_a_jwt_bearer_assertion()
    {
        using var keys = new JwtKeys();
        var org = OrgFiles.WithSubscriptions();
        org.ConnectedApps.Add(new ConnectedAppDefinition { ClientId = "jwt-app", Certificate = keys.CertificatePem });
        await using var harness = await SalesforceHarness.StartAsync(org);
        var assertion = keys.Assertion("jwt-app", Username, harness.Emulator.InstanceUrl, DateTimeOffset.UtcNow.AddMinutes(3));

        var result = await RunAsync(harness.Emulator, "login.mjs", new { flow = "jwt", assertion });

        Assert.Equal(harness.Emulator.Org.DefaultUserId, result["userId"]!.GetValue<string>());
    }

    [Fact]
    public async Task Jsforce_refreshes_an_expired_token_with_its_refresh_token_and_replays_the_call()
    {
        await using var harness = await SalesforceHarness.StartAsync();
        var stale = harness.Emulator.IssueToken();
        harness.Emulator.ExpireTokens();

        var result = await RunAsync(harness.Emulator, "login.mjs", new { flow = "refresh", accessToken = stale, refreshToken = "sluice-refresh-token" });

        Assert.Equal(1, result["refreshed"]!.GetValue<int>());
        Assert.True(result["changed"]!.GetValue<bool>());
        Assert.Equal([401, 200, 200], harness.Emulator.Requests.Select(r => r.Status));
    }

    [Fact]
    public async Task Jsforce_logs_in_again_after_its_session_expires_and_the_call_goes_through_once()
    {
        await using var harness = await SalesforceHarness.StartAsync();

        var result = await RunAsync(harness.Emulator, "relogin.mjs", new { username = Username, password = Password, expireUrl = harness.Emulator.BaseUrl + "__emulator/expire-tokens" });

        Assert.True(result["changed"]!.GetValue<bool>());
        Assert.True(result["success"]!.GetValue<bool>());
        Assert.Equal("After expiry", Assert.Single(harness.Emulator.Org.Records("Account")).Values["Name"]);
        Assert.Equal(1, harness.Emulator.Stats.InvalidSessions);
    }

    [Fact]
    public async Task Jsforce_describes_and_writes_single_records_and_collections()
    {
        await using var harness = await SalesforceHarness.StartAsync();

        var result = await RunAsync(harness.Emulator, "crud.mjs", new { username = Username, password = Password });

        Assert.Equal("001", result["describe"]!["keyPrefix"]!.GetValue<string>());
        Assert.True(result["describe"]!["externalId"]!.GetValue<bool>());
        Assert.Equal(255, result["describe"]!["nameLength"]!.GetValue<int>());
        Assert.Equal("""{"created":true,"name":"Single","updated":true,"phone":"555-0100","destroyed":true}""", result["single"]!.ToJsonString());
        Assert.Equal("""{"first":true,"second":false,"sameId":true}""", result["upsert"]!.ToJsonString());
        Assert.Equal("""[{"success":true,"code":null},{"success":true,"code":null},{"success":false,"code":"REQUIRED_FIELD_MISSING"}]""", result["createMany"]!.ToJsonString());
        Assert.Equal("[true,true]", result["updateMany"]!.ToJsonString());
        Assert.Equal("[true,true,false,true]", result["upsertMany"]!.ToJsonString());
        Assert.Equal("""["Engineer","Engineer"]""", result["retrieveMany"]!.ToJsonString());
        Assert.Equal("[true,true]", result["destroyMany"]!.ToJsonString());
        Assert.Equal("STRING_TOO_LONG", result["tooLong"]!.GetValue<string>());

        var paths = harness.Emulator.Requests.Select(r => $"{r.Method} {r.Path.Split('?')[0]}").ToList();
        Assert.Contains("PATCH /services/data/v62.0/sobjects/Account/External_Id__c/ext-1", paths);
        Assert.Contains("POST /services/data/v62.0/composite/sobjects", paths);
        Assert.Contains("PATCH /services/data/v62.0/composite/sobjects/Contact/External_Id__c", paths);
        Assert.Contains("DELETE /services/data/v62.0/composite/sobjects", paths);
        Assert.Equal(["Ext One Again", "Ext Three", "Ext Two"], harness.Emulator.Org.Records("Contact").Select(c => (string)c.Values["LastName"]!).Order());
        var usage = result["apiUsage"]!;
        Assert.Equal(15_000, usage["limit"]!.GetValue<int>());
        Assert.Equal(harness.Emulator.Stats.ApiRequestsUsed, usage["used"]!.GetValue<int>());
    }

    [Fact]
    public async Task Jsforce_reads_limits_and_the_api_usage_header()
    {
        await using var harness = await SalesforceHarness.StartAsync();
        harness.Emulator.SetApiUsage(100);

        var result = await RunAsync(harness.Emulator, "limits.mjs", new { username = Username, password = Password });

        Assert.Equal("""{"Max":15000,"Remaining":14899}""", result["dailyApiRequests"]!.ToJsonString());
        Assert.Equal("""{"used":101,"limit":15000}""", result["apiUsage"]!.ToJsonString());
    }

    private static async Task<JsonNode> RunAsync(SalesforceEmulator emulator, string scenario, object args)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "Salesforce", "node");
        await NodeTooling.EnsureInstalledAsync(folder);
        var run = await NodeTooling.RunAsync(NodeTooling.Node, ["run.mjs", scenario, emulator.InstanceUrl, JsonSerializer.Serialize(args)], folder, RunTimeout);
        var lastLine = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(l => l.StartsWith('{') || l.StartsWith('[')) ?? "";
        Assert.True(run.Succeeded, $"node run.mjs {scenario} failed (exit {run.ExitCode}):\n{run.Output}");
        return JsonNode.Parse(lastLine)!;
    }
}
