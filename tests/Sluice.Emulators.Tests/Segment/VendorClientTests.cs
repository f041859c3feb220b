using System.Text.Json.Nodes;
using Sluice.Emulators.Segment;
using Sluice.Testing;

namespace Sluice.Emulators.Tests.Segment;

/// <summary>
/// Segment's own Node client (@segment/analytics-node 3.1.0, pinned by node/package-lock.json) against the
/// emulator: if the real client is happy and the recorded events look like Segment's, the emulator is faithful.
/// </summary>
public sealed class VendorClientTests
{
    private const string WriteKey = "vendor-write-key";
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Segments_node_client_delivers_all_six_call_types_with_its_library_context()
    {
        await NodeTooling.EnsureInstalledAsync(NodeTooling.ClientFolder);
        await using var harness = await EmulatorHarness.StartAsync(writeKeys: [WriteKey]);

        var result = await SendAsync(harness.Emulator, "plain");

        Assert.True(result.Succeeded, $"node send.mjs failed (exit {result.ExitCode}):\n{result.Output}");
        var messages = harness.Emulator.Messages().ToDictionary(m => m.Type);
        Assert.Equal(["alias", "group", "identify", "page", "screen", "track"], messages.Keys.Order());

        var identify = Json(messages["identify"]);
        Assert.Equal("plain-user", messages["identify"].UserId);
        Assert.Equal("ada@example.com", identify["traits"]!["email"]!.GetValue<string>());

        var track = Json(messages["track"]);
        Assert.Equal("Order Completed", track["event"]!.GetValue<string>());
        Assert.Equal(42.5, track["properties"]!["revenue"]!.GetValue<double>());

        var page = Json(messages["page"]);
        Assert.Equal("Pricing", page["name"]!.GetValue<string>());
        Assert.Equal("Docs", page["properties"]!["category"]!.GetValue<string>());

        var screen = Json(messages["screen"]);
        Assert.Equal("plain-anon", messages["screen"].AnonymousId);
        Assert.Equal("Settings", screen["name"]!.GetValue<string>());

        var group = Json(messages["group"]);
        Assert.Equal("plain-group", group["groupId"]!.GetValue<string>());
        Assert.Equal(420, group["traits"]!["employees"]!.GetValue<int>());

        var alias = Json(messages["alias"]);
        Assert.Equal("plain-anon", alias["previousId"]!.GetValue<string>());
        Assert.Equal("plain-user", alias["userId"]!.GetValue<string>());

        foreach (var message in messages.Values)
        {
            var json = Json(message);
            Assert.Equal("@segment/analytics-node", json["context"]!["library"]!["name"]!.GetValue<string>());
            Assert.Equal("3.1.0", json["context"]!["library"]!["version"]!.GetValue<string>());
            Assert.StartsWith("node-next-", message.MessageId, StringComparison.Ordinal);
            Assert.NotNull(json["_metadata"]!["nodeVersion"]);

            // The client sends timestamp per event and one sentAt at the batch root; the emulator relabels
            // and corrects them as Segment does.
            Assert.NotNull(json["originalTimestamp"]);
            Assert.NotNull(json["sentAt"]);
            Assert.NotNull(json["timestamp"]);
            Assert.NotNull(json["receivedAt"]);
            Assert.Equal(1, message.TimesReceived);
        }

        var stats = harness.Emulator.Stats;
        Assert.Equal(0, stats.RejectedRequests);
        Assert.Equal(6, stats.Unique);
        Assert.Equal(0, stats.Dropped);
    }

    [Fact]
    public async Task Segments_node_client_retries_through_injected_429s_and_nothing_is_lost_or_doubled()
    {
        await NodeTooling.EnsureInstalledAsync(NodeTooling.ClientFolder);
        await using var harness = await EmulatorHarness.StartAsync(
            new SegmentFaultOptions { RateLimitRate = 0.6, RetryAfterSeconds = 1, Seed = 2 },
            writeKeys: [WriteKey]);

        var result = await SendAsync(harness.Emulator, "retry");

        Assert.True(result.Succeeded, $"node send.mjs failed (exit {result.ExitCode}):\n{result.Output}");
        var stats = harness.Emulator.Stats;
        Assert.True(stats.RateLimited > 0, "seed 2 rate-limits the first attempt and lets the retry through");
        Assert.Equal(6, stats.Unique);
        Assert.Equal(0, stats.Duplicates);
    }

    private static Task<NodeTooling.ProcessResult> SendAsync(SegmentEmulator emulator, string runId)
    {
        // analytics-node builds its URL as new URL('/v1/batch', host).
        var host = emulator.BaseUrl.GetLeftPart(UriPartial.Authority);
        return NodeTooling.RunAsync(NodeTooling.Node, ["send.mjs", host, WriteKey, runId], NodeTooling.ClientFolder, RunTimeout);
    }

    private static JsonObject Json(ReceivedMessage message) => EmulatorHarness.Parse(message);
}
