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
        var events = await bed.WaitForRowsAsync("public.events", queued.Count);
        Assert.Equal(queued.Select(r => (Guid)r["event_id"]!).Order(), events.Select(r => (Guid)r["event_id"]!).Order());
        Assert.Equal(["Order Completed", "alias", "group", "identify", "page", "screen"], events.Select(r => (string)r["event_type"]!).Order(StringComparer.Ordinal));
        Assert.All(events, r => Assert.Equal("web", r["source"]));
        var order = events.Single(r => (string)r["event_type"]! == "Order Completed");
        Assert.Equal($"{Run}-user", order["customer_external_id"]);
        using (var payload = JsonDocument.Parse((string)order["payload"]!))
        {
            Assert.Equal(42.5m, payload.RootElement.GetProperty("revenue").GetDecimal());
            Assert.Equal("SPRING", payload.RootElement.GetProperty("couponCode").GetString());
        }

        using (var metadata = JsonDocument.Parse((string)order["metadata"]!))
        {
            Assert.Equal("analytics-node", metadata.RootElement.GetProperty("context").GetProperty("library").GetProperty("name").GetString());
        }

        // Segment's warehouse layout. RudderStack's Node SDK names itself analytics-node (its source says so).
        var track = Assert.Single(await bed.WaitForRowsAsync("web.tracks", 1));
        Assert.Equal("Order Completed", track["event_text"]);
        Assert.Equal("order_completed", track["event"]);
        Assert.Equal($"{Run}-user", track["user_id"]);
        Assert.Equal("analytics-node", track["context_library_name"]);
        Assert.Equal("3.0.13", track["context_library_version"]);

        var completed = Assert.Single(await bed.WaitForRowsAsync("web.order_completed", 1));
        Assert.Equal(track["id"], completed["id"]);
        Assert.Equal("Order Completed", completed["event_text"]);
        Assert.Equal(42.5m, completed["revenue"]);
        Assert.Equal("EUR", completed["currency"]);
        Assert.Equal("SPRING", completed["coupon_code"]);
        Assert.Equal(2L, completed["item_count"]);

        var identify = Assert.Single(await bed.WaitForRowsAsync("web.identifies", 1));
        Assert.Equal($"{Run}-user", identify["user_id"]);
        Assert.Equal("ada@example.com", identify["email"]);
        Assert.Equal("pro", identify["plan"]);
        Assert.Equal(3L, identify["logins"]);

        var user = Assert.Single(await bed.WaitForRowsAsync("web.users", 1));
        Assert.Equal($"{Run}-user", user["id"]);
        Assert.Equal("ada@example.com", user["email"]);
        Assert.Equal(3L, user["logins"]);

        var page = Assert.Single(await bed.WaitForRowsAsync("web.pages", 1));
        Assert.Equal("Pricing", page["name"]);
        Assert.Equal("Docs", page["category"]);
        Assert.Equal("https://example.com/pricing", page["url"]);
        Assert.Equal("pro", page["plan_shown"]);

        var screen = Assert.Single(await bed.WaitForRowsAsync("web.screens", 1));
        Assert.Equal("Settings", screen["name"]);
        Assert.Equal($"{Run}-anon", screen["anonymous_id"]);
        Assert.Equal("billing", screen["tab"]);

        var group = Assert.Single(await bed.WaitForRowsAsync("web.groups", 1));
        Assert.Equal($"{Run}-group", group["group_id"]);
        Assert.Equal($"{Run}-user", group["user_id"]);
        Assert.Equal("Initech", group["name"]);
        Assert.Equal(120L, group["employees"]);

        var account = Assert.Single(await bed.WaitForRowsAsync("web.accounts", 1));
        Assert.Equal($"{Run}-group", account["id"]);
        Assert.Equal("Initech", account["name"]);

        var alias = Assert.Single(await bed.WaitForRowsAsync("web.aliases", 1));
        Assert.Equal($"{Run}-anon", alias["previous_id"]);
        Assert.Equal($"{Run}-user", alias["user_id"]);

        Assert.Empty(await bed.DiscardsAsync("web.discards"));
    }
}
