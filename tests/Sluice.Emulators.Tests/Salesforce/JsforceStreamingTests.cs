using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Emulators.Salesforce;
using Sluice.Emulators.Salesforce.Org;
using Sluice.Testing;

namespace Sluice.Emulators.Tests.Salesforce;

/// <summary>
/// jsforce 3.10.16's own streaming client (faye over long-polling CometD, with jsforce's Replay extension) subscribes
/// to the emulator's Change Data Capture channel: what it receives is what a real org would send it.
/// </summary>
public sealed class JsforceStreamingTests
{
    private const string Username = "admin@sluice.test";
    private const string Password = "sluice";
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Jsforce_receives_create_update_and_delete_events_for_changes_made_through_jsforce_rest()
    {
        await using var harness = await SalesforceHarness.StartAsync();

        var result = await RunAsync(harness.Emulator, new { mode = "live", username = Username, password = Password });

        var id = result["id"]!.GetValue<string>();
        var events = result["events"]!.AsArray();
        Assert.Equal(["CREATE", "UPDATE", "DELETE"], events.Select(e => Header(e)["changeType"]!.GetValue<string>()));
        Assert.All(events, e =>
        {
            Assert.Equal("Contact", Header(e)["entityName"]!.GetValue<string>());
            Assert.Equal([id], Header(e)["recordIds"]!.AsArray().Select(r => r!.GetValue<string>()));
            Assert.Equal("com/salesforce/api/rest/62.0;client=jsforce-test", Header(e)["changeOrigin"]!.GetValue<string>());
            Assert.Equal(harness.Emulator.Org.DefaultUserId, Header(e)["commitUser"]!.GetValue<string>());
        });
        var replayIds = events.Select(e => e!["event"]!["replayId"]!.GetValue<long>()).ToList();
        Assert.Equal(replayIds.Order(), replayIds);
        Assert.Equal(3, replayIds.Distinct().Count());

        var created = events[0]!["payload"]!;
        Assert.Equal("Streamed", created["LastName"]!.GetValue<string>());
        Assert.Equal("streamed@example.com", created["Email"]!.GetValue<string>());
        var updated = events[1]!["payload"]!;
        Assert.Equal(["Email", "Phone", "LastModifiedDate"], Header(events[1]!)["changedFields"]!.AsArray().Select(f => f!.GetValue<string>()).Order().OrderBy(f => f == "LastModifiedDate"));
        Assert.Equal("changed@example.com", updated["Email"]!.GetValue<string>());
        Assert.Null(updated["LastName"]);
    }

    [Fact]
    public async Task Jsforce_subscribing_from_a_replay_id_gets_exactly_the_later_events()
    {
        await using var harness = await SalesforceHarness.StartAsync();
        var ids = Enumerable.Range(1, 4).Select(i => CreateContact(harness.Emulator, "Replayed " + i)).ToList();
        var from = harness.Emulator.LatestReplayId - 2;

        var result = await RunAsync(harness.Emulator, new { mode = "replay", replayFrom = from, expect = 2, username = Username, password = Password });

        var events = result["events"]!.AsArray();
        Assert.Equal([from + 1, from + 2], events.Select(e => e!["event"]!["replayId"]!.GetValue<long>()));
        Assert.Equal(ids[2..], events.Select(e => Header(e)["recordIds"]![0]!.GetValue<string>()));
        Assert.Equal("", Header(events[0]!)["changeOrigin"]!.GetValue<string>());
    }

    [Fact]
    public async Task Jsforce_replaying_all_retained_events_with_minus_two_gets_every_one()
    {
        await using var harness = await SalesforceHarness.StartAsync();
        var ids = Enumerable.Range(1, 3).Select(i => CreateContact(harness.Emulator, "All " + i)).ToList();

        var result = await RunAsync(harness.Emulator, new { mode = "replay", replayFrom = -2, expect = 3, username = Username, password = Password });

        Assert.Equal(ids, result["events"]!.AsArray().Select(e => Header(e)["recordIds"]![0]!.GetValue<string>()));
    }

    [Fact]
    public async Task Jsforce_subscribing_from_an_expired_replay_id_gets_salesforces_invalid_replay_error()
    {
        await using var harness = await SalesforceHarness.StartAsync();
        CreateContact(harness.Emulator, "Expired");
        var expired = harness.Emulator.LatestReplayId;
        CreateContact(harness.Emulator, "Later");
        using var admin = new HttpClient { BaseAddress = harness.Emulator.BaseUrl };
        (await admin.PostAsync("__emulator/streaming/expire", null)).EnsureSuccessStatusCode();

        var result = await RunAsync(harness.Emulator, new { mode = "replay", replayFrom = expired - 1, username = Username, password = Password });

        var message = result["subscribeError"]!.ToJsonString();
        Assert.Contains($"The replayId {{{expired - 1}}} you provided was invalid.", message, StringComparison.Ordinal);
    }

    private static string CreateContact(SalesforceEmulator emulator, string lastName)
    {
        var result = emulator.Org.Save([new SaveRequest { Operation = SaveOperation.Insert, ObjectName = "Contact", Fields = [new("LastName", lastName)] }])[0];
        Assert.True(result.Success);
        return result.Id!;
    }

    private static JsonNode Header(JsonNode? message) => message!["payload"]!["ChangeEventHeader"]!;

    private static async Task<JsonNode> RunAsync(SalesforceEmulator emulator, object args)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "Salesforce", "node");
        await NodeTooling.EnsureInstalledAsync(folder);
        var run = await NodeTooling.RunAsync(NodeTooling.Node, ["run.mjs", "streaming.mjs", emulator.InstanceUrl, JsonSerializer.Serialize(args)], folder, RunTimeout);
        var lastLine = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(l => l.StartsWith('{') || l.StartsWith('[')) ?? "";
        Assert.True(run.Succeeded, $"node run.mjs streaming.mjs failed (exit {run.ExitCode}):\n{run.Output}");
        return JsonNode.Parse(lastLine)!;
    }
}
