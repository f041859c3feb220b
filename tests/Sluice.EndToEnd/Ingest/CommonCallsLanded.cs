using System.Text.Json;

namespace Sluice.EndToEnd.Ingest;

/// <summary>
/// What every vendor-client test's driver sends (node/rudder-node.mjs, node/page.html: the same user, order, traits and
/// group under a run id) must land as in both layouts. Each test adds what is particular to its client.
/// </summary>
internal static class CommonCallsLanded
{
    /// <summary>The order's track in <c>tracks</c> and its own table; returns the <c>tracks</c> row.</summary>
    public static async Task<LandedRow> AssertOrderAsync(IngestLandingBed bed, string run, string library)
    {
        var track = Assert.Single(await bed.WaitForRowsAsync("web.tracks", 1));
        Assert.Equal("Order Completed", track["event_text"]);
        Assert.Equal("order_completed", track["event"]);
        Assert.Equal($"{run}-user", track["user_id"]);
        Assert.Equal(library, track["context_library_name"]);

        var completed = Assert.Single(await bed.WaitForRowsAsync("web.order_completed", 1));
        Assert.Equal(track["id"], completed["id"]);
        Assert.Equal("Order Completed", completed["event_text"]);
        Assert.Equal(42.5m, completed["revenue"]);
        Assert.Equal("EUR", completed["currency"]);
        Assert.Equal("SPRING", completed["coupon_code"]);
        Assert.Equal(2L, completed["item_count"]);
        return track;
    }

    /// <summary>The identify in <c>identifies</c> and the user's latest traits in <c>users</c>; returns the identify.</summary>
    public static async Task<LandedRow> AssertUserAsync(IngestLandingBed bed, string run)
    {
        var identify = Assert.Single(await bed.WaitForRowsAsync("web.identifies", 1));
        Assert.Equal($"{run}-user", identify["user_id"]);
        Assert.Equal("ada@example.com", identify["email"]);
        Assert.Equal("pro", identify["plan"]);
        Assert.Equal(3L, identify["logins"]);

        var user = Assert.Single(await bed.WaitForRowsAsync("web.users", 1));
        Assert.Equal($"{run}-user", user["id"]);
        Assert.Equal("ada@example.com", user["email"]);
        Assert.Equal(3L, user["logins"]);
        return identify;
    }

    /// <summary>The group call in <c>groups</c> and the company's traits in <c>accounts</c>.</summary>
    public static async Task AssertGroupAsync(IngestLandingBed bed, string run)
    {
        var group = Assert.Single(await bed.WaitForRowsAsync("web.groups", 1));
        Assert.Equal($"{run}-group", group["group_id"]);
        Assert.Equal($"{run}-user", group["user_id"]);
        Assert.Equal("Initech", group["name"]);
        Assert.Equal(120L, group["employees"]);

        var account = Assert.Single(await bed.WaitForRowsAsync("web.accounts", 1));
        Assert.Equal($"{run}-group", account["id"]);
        Assert.Equal("Initech", account["name"]);
    }

    /// <summary>The events table: one row per queued event under the queue's event id; returns the order's row.</summary>
    public static async Task<LandedRow> AssertEventsTableAsync(IngestLandingBed bed, string run, IReadOnlyList<LandedRow> queued, string[] eventTypes)
    {
        var events = await bed.WaitForRowsAsync("public.events", queued.Count);
        Assert.Equal(queued.Select(r => (Guid)r["event_id"]!).Order(), events.Select(r => (Guid)r["event_id"]!).Order());
        Assert.Equal(eventTypes, events.Select(r => (string)r["event_type"]!).Order(StringComparer.Ordinal));
        Assert.All(events, r => Assert.Equal("web", r["source"]));
        var order = events.Single(r => (string)r["event_type"]! == "Order Completed");
        Assert.Equal($"{run}-user", order["customer_external_id"]);
        using var payload = JsonDocument.Parse((string)order["payload"]!);
        Assert.Equal(42.5m, payload.RootElement.GetProperty("revenue").GetDecimal());
        Assert.Equal("SPRING", payload.RootElement.GetProperty("couponCode").GetString());
        Assert.Equal(2, payload.RootElement.GetProperty("itemCount").GetInt32());
        return order;
    }
}
