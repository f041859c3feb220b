using System.Text.Json;
using Sluice.Testing;

namespace Sluice.EndToEnd.Ingest;

/// <summary>
/// RudderStack's Node client (pinned by node/package-lock.json; it posts gzipped batches to
/// <c>&lt;dataPlaneUrl&gt;/v1/batch</c>) against the real <c>sluice run</c>: every call lands in the Segment warehouse
/// layout and in the events table.
/// </summary>
public sealed class RudderClientTests
{
    private const string Run = "rs";
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task RudderStacks_node_client_lands_every_call_in_the_warehouse_and_the_events_table()
    {
        await NodeTooling.EnsureInstalledAsync(NodeTooling.ClientFolder);
        await using var bed = await IngestLandingBed.StartAsync(nameof(RudderStacks_node_client_lands_every_call_in_the_warehouse_and_the_events_table));

        var result = await NodeTooling.RunAsync(NodeTooling.Node, ["rudder-node.mjs", bed.Url, IngestLandingBed.WriteKey, Run], NodeTooling.ClientFolder, ClientTimeout);

        Assert.True(result.Succeeded, $"node rudder-node.mjs failed (exit {result.ExitCode}):\n{result.Output}\nsluice run printed:\n{bed.Output}");
        var queued = await bed.QueuedAsync();
        Assert.Equal(["alias", "group", "identify", "page", "screen", "track"], queued.Select(r => (string)r["type"]!).Order());
        Assert.All(queued, r => Assert.Equal("web", r["source"]));

        // The events table: one row per queued event, under the queue's event id.
        var order = await CommonCallsLanded.AssertEventsTableAsync(bed, Run, queued, ["Order Completed", "alias", "group", "identify", "page", "screen"]);
        using (var metadata = JsonDocument.Parse((string)order["metadata"]!))
        {
            Assert.Equal("analytics-node", metadata.RootElement.GetProperty("context").GetProperty("library").GetProperty("name").GetString());
        }

        // Segment's warehouse layout. RudderStack's Node SDK names itself analytics-node (its source says so).
        var track = await CommonCallsLanded.AssertOrderAsync(bed, Run, "analytics-node");
        Assert.Equal("3.0.13", track["context_library_version"]);
        await CommonCallsLanded.AssertUserAsync(bed, Run);

        var page = Assert.Single(await bed.WaitForRowsAsync("web.pages", 1));
        Assert.Equal("Pricing", page["name"]);
        Assert.Equal("Docs", page["category"]);
        Assert.Equal("https://example.com/pricing", page["url"]);
        Assert.Equal("pro", page["plan_shown"]);

        var screen = Assert.Single(await bed.WaitForRowsAsync("web.screens", 1));
        Assert.Equal("Settings", screen["name"]);
        Assert.Equal($"{Run}-anon", screen["anonymous_id"]);
        Assert.Equal("billing", screen["tab"]);

        await CommonCallsLanded.AssertGroupAsync(bed, Run);

        var alias = Assert.Single(await bed.WaitForRowsAsync("web.aliases", 1));
        Assert.Equal($"{Run}-anon", alias["previous_id"]);
        Assert.Equal($"{Run}-user", alias["user_id"]);

        Assert.Empty(await bed.DiscardsAsync("web.discards"));
    }
}
