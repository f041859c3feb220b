using Sluice.Core.Errors;
using Sluice.Postgres.Destinations.Warehouse;
using static Sluice.Postgres.Tests.Warehouse.WarehouseTypesTests;

namespace Sluice.Postgres.Tests.Warehouse;

public sealed class WarehouseRowPlannerTests
{
    private const string Common = """
        "messageId": "m-1",
        "anonymousId": "anon-1",
        "userId": "user-1",
        "receivedAt": "2024-05-01T10:00:05.000Z",
        "sentAt": "2024-05-01T10:00:04.000Z",
        "timestamp": "2024-05-01T10:00:01.000Z",
        "originalTimestamp": "2024-05-01T10:00:00.000Z",
        "context": { "library": { "name": "analytics-node", "version": "3.1.0" }, "ip": "203.0.113.9" },
        "integrations": { "All": true },
        "_metadata": { "nodeVersion": "20" },
        "writeKey": "secret",
        "version": 2
        """;

    [Fact]
    public void Identify_writes_identifies_and_the_users_latest_state()
    {
        var plan = Plan($$"""{ "type": "identify", {{Common}}, "traits": { "email": "a@example.com", "plan": "pro", "logins": 7, "address": { "city": "Paris" } } }""");

        Assert.Equal([("identifies", "m-1"), ("users", "user-1")], plan.Rows.Select(r => (r.Table, r.Id)));
        var identifies = plan.Rows[0];
        Assert.Equal(
            ["id", "received_at", "anonymous_id", "original_timestamp", "sent_at", "timestamp", "user_id",
             "context_library_name", "context_library_version", "context_ip", "email", "plan", "logins", "address_city"],
            identifies.Cells.Select(c => c.Column));
        Assert.False(identifies.IsLatestState);

        var users = plan.Rows[1];
        Assert.True(users.IsLatestState);
        Assert.Equal(
            ["id", "received_at", "context_library_name", "context_library_version", "context_ip", "email", "plan", "logins", "address_city"],
            users.Cells.Select(c => c.Column));
        Assert.Equal(WarehouseType.Id, users.Cell("id")!.Type);
        Assert.Equal(WarehouseType.BigInt, users.Cell("logins")!.Type);
        Assert.Empty(plan.Discards);
    }

    [Theory]
    [InlineData("\"userId\": null,")]
    [InlineData("\"userId\": \"  \",")]
    [InlineData("")]
    public void An_anonymous_identify_writes_no_users_row(string userId)
    {
        var plan = Plan($$"""{ "type": "identify", {{userId}} "messageId": "m-2", "anonymousId": "a", "traits": { "plan": "free" } }""");
        Assert.Equal(["identifies"], plan.Rows.Select(r => r.Table));
    }

    [Fact]
    public void Track_writes_tracks_without_properties_and_the_event_table_with_them()
    {
        var plan = Plan($$"""{ "type": "track", {{Common}}, "event": "Order Completed", "properties": { "revenue": 19.99, "currency": "EUR", "items": [1, 2] } }""");

        Assert.Equal(["tracks", "order_completed"], plan.Rows.Select(r => r.Table));
        var tracks = plan.Rows[0];
        Assert.Equal(
            ["id", "received_at", "anonymous_id", "event", "event_text", "original_timestamp", "sent_at", "timestamp", "user_id",
             "context_library_name", "context_library_version", "context_ip"],
            tracks.Cells.Select(c => c.Column));
        Assert.Equal("order_completed", tracks.Cell("event")!.Value);
        Assert.Equal("Order Completed", tracks.Cell("event_text")!.Value);

        var orders = plan.Rows[1];
        Assert.Equal(WarehouseTableKind.Event, orders.Kind);
        Assert.Equal(tracks.Cells.Select(c => c.Column).Concat(["revenue", "currency", "items"]), orders.Cells.Select(c => c.Column));
        Assert.Equal((WarehouseType.Numeric, "19.99"), (orders.Cell("revenue")!.Type, orders.Cell("revenue")!.Value));
        Assert.Equal("[1,2]", orders.Cell("items")!.Value);
    }

    [Theory]
    [InlineData("Tracks", "_tracks")]
    [InlineData("users", "_users")]
    [InlineData("Order", "_order")]
    public void An_event_named_like_a_segment_table_or_keyword_gets_a_prefixed_table_and_event(string name, string table)
    {
        var plan = Plan($$"""{ "type": "track", "messageId": "m", "event": "{{name}}" }""");
        Assert.Equal(["tracks", table], plan.Rows.Select(r => r.Table));
        Assert.Equal(table, plan.Rows[0].Cell("event")!.Value);
    }

    [Fact]
    public void Properties_that_map_to_reserved_columns_are_discarded_and_reported()
    {
        var plan = Plan($$"""
            { "type": "track", {{Common}}, "event": "Signed Up",
              "properties": { "userId": "someone-else", "event": "x", "event_text": "y", "ID": 5, "timestamp": "2020-01-01T00:00:00Z",
                              "context": { "ip": "1.1.1.1" }, "uuid": "u", "loaded_at": "l", "plan": "pro" } }
            """);

        var signedUp = plan.Rows[1];
        Assert.Equal("user-1", signedUp.Cell("user_id")!.Value);
        Assert.Equal("2024-05-01T10:00:01Z", signedUp.Cell("timestamp")!.Value);
        Assert.Equal("plan", signedUp.Cells[^1].Column);
        Assert.Equal(
            ["user_id", "event", "event_text", "id", "timestamp", "context_ip", "uuid", "loaded_at"],
            plan.Discards.Select(d => d.Column));
        Assert.All(plan.Discards, d => Assert.Equal(("signed_up", "m-1"), (d.Table, d.RowId)));
        Assert.Equal("someone-else", plan.Discards[0].Value);
        Assert.Equal(DateTimeOffset.Parse("2024-05-01T10:00:05Z"), plan.Discards[0].ReceivedAt);
    }

    [Fact]
    public void Page_takes_its_name_from_the_call_or_else_from_properties()
    {
        var both = Plan($$"""{ "type": "page", {{Common}}, "name": "Home", "properties": { "name": "Home", "path": "/", "url": "https://x/" } }""");
        var row = Assert.Single(both.Rows);
        Assert.Equal("pages", row.Table);
        Assert.Equal(
            ["id", "received_at", "anonymous_id", "name", "original_timestamp", "sent_at", "timestamp", "user_id",
             "context_library_name", "context_library_version", "context_ip", "path", "url"],
            row.Cells.Select(c => c.Column));
        Assert.Empty(both.Discards); // the same name twice loses nothing

        var onlyProperties = Plan("""{ "type": "page", "messageId": "p", "properties": { "name": "Pricing" }, "category": "Docs" }""");
        Assert.Equal("Pricing", onlyProperties.Rows[0].Cell("name")!.Value);
        Assert.Equal("Docs", onlyProperties.Rows[0].Cell("category")!.Value);
        Assert.Empty(onlyProperties.Discards);

        var different = Plan("""{ "type": "page", "messageId": "p", "name": "A", "properties": { "name": "B" } }""");
        Assert.Equal("A", different.Rows[0].Cell("name")!.Value);
        Assert.Equal(("name", "B"), (Assert.Single(different.Discards).Column, different.Discards[0].Value));
    }

    [Fact]
    public void Screen_writes_screens()
    {
        var plan = Plan($$"""{ "type": "screen", {{Common}}, "name": "Settings", "properties": { "variation": "blue" } }""");
        var row = Assert.Single(plan.Rows);
        Assert.Equal(("screens", WarehouseTableKind.Screens), (row.Table, row.Kind));
        Assert.Equal("Settings", row.Cell("name")!.Value);
        Assert.Equal("blue", row.Cell("variation")!.Value);
    }

    [Fact]
    public void Group_writes_groups_and_the_accounts_latest_state()
    {
        var plan = Plan($$"""{ "type": "group", {{Common}}, "groupId": "acme", "traits": { "name": "Acme", "employees": 120, "groupId": "other" } }""");

        Assert.Equal([("groups", "m-1"), ("accounts", "acme")], plan.Rows.Select(r => (r.Table, r.Id)));
        Assert.Equal(
            ["id", "received_at", "anonymous_id", "group_id", "original_timestamp", "sent_at", "timestamp", "user_id",
             "context_library_name", "context_library_version", "context_ip", "name", "employees"],
            plan.Rows[0].Cells.Select(c => c.Column));
        Assert.Equal(
            ["id", "received_at", "user_id", "context_library_name", "context_library_version", "context_ip", "name", "employees"],
            plan.Rows[1].Cells.Select(c => c.Column));
        Assert.True(plan.Rows[1].IsLatestState);
        Assert.Equal(["groups", "accounts"], plan.Discards.Select(d => d.Table));
        Assert.All(plan.Discards, d => Assert.Equal(("group_id", "other"), (d.Column, d.Value)));
    }

    [Fact]
    public void Alias_writes_aliases()
    {
        var plan = Plan($$"""{ "type": "alias", {{Common}}, "previousId": "anon-1" }""");
        var row = Assert.Single(plan.Rows);
        Assert.Equal("aliases", row.Table);
        Assert.Equal(
            ["id", "received_at", "original_timestamp", "previous_id", "sent_at", "timestamp", "user_id",
             "context_library_name", "context_library_version", "context_ip"],
            row.Cells.Select(c => c.Column));
    }

    [Fact]
    public void Standard_columns_have_fixed_types_and_timestamps_are_normalised_to_utc()
    {
        var plan = Plan("""{ "type": "track", "messageId": "m", "event": "E", "userId": 12345, "receivedAt": "2024-05-01T12:00:05+02:00" }""");
        var row = plan.Rows[0];
        Assert.Equal((WarehouseType.Id, "m"), (row.Cell("id")!.Type, row.Cell("id")!.Value));
        Assert.Equal((WarehouseType.TimestampTz, "2024-05-01T10:00:05Z"), (row.Cell("received_at")!.Type, row.Cell("received_at")!.Value));
        Assert.Equal((WarehouseType.Text, "12345"), (row.Cell("user_id")!.Type, row.Cell("user_id")!.Value));
        Assert.Equal(DateTimeOffset.Parse("2024-05-01T10:00:05Z"), row.ReceivedAt);
    }

    [Fact]
    public void A_standard_timestamp_that_is_not_one_is_discarded_and_the_event_kept()
    {
        var plan = Plan("""{ "type": "alias", "messageId": "m", "previousId": "p", "sentAt": "last tuesday", "timestamp": 1714557600 }""");
        Assert.Single(plan.Rows);
        Assert.Null(plan.Rows[0].Cell("sent_at"));
        Assert.Equal([("sent_at", "last tuesday"), ("timestamp", "1714557600")], plan.Discards.Select(d => (d.Column, d.Value!)));
    }

    [Fact]
    public void A_users_id_longer_than_the_id_column_is_discarded_not_failed()
    {
        var userId = new string('u', 1025);
        var plan = Plan($$"""{ "type": "identify", "messageId": "m", "userId": "{{userId}}" }""");
        Assert.Equal(["identifies"], plan.Rows.Select(r => r.Table));
        Assert.Equal(("users", "id"), (Assert.Single(plan.Discards).Table, plan.Discards[0].Column));
    }

    [Theory]
    [InlineData("[1]")]
    [InlineData("""{ "messageId": "m" }""")]
    [InlineData("""{ "type": "identify" }""")]
    [InlineData("""{ "type": "identify", "messageId": " " }""")]
    [InlineData("""{ "type": "track", "messageId": "m" }""")]
    [InlineData("""{ "type": "track", "messageId": "m", "event": "" }""")]
    [InlineData("""{ "type": "group", "messageId": "m" }""")]
    [InlineData("""{ "type": "delete", "messageId": "m" }""")]
    public void Events_that_cannot_have_rows_are_rejected_as_records(string json)
    {
        var error = Assert.Throws<SluiceException>(() => WarehouseRowPlanner.Plan(Parse(json)));
        Assert.Equal(ErrorClass.RecordRejected, error.Class);
    }

    [Fact]
    public void Hostile_names_in_an_event_become_plain_names()
    {
        var plan = Plan("""
            { "type": "track", "messageId": "m", "event": "\"; DROP TABLE users; --",
              "properties": { "Robert'); DROP TABLE students;--": 1, "a\"b": true, "c\\d": "x" },
              "context": { "\u0000evil\"": "y" } }
            """);
        Assert.Equal(["tracks", "drop_table_users"], plan.Rows.Select(r => r.Table));
        Assert.All(plan.Rows.SelectMany(r => r.Cells), c => Assert.Matches("^[a-z0-9_]{1,63}$", c.Column));
        Assert.Contains(plan.Rows[1].Cells, c => c.Column == "robert_drop_table_students");
        Assert.Contains(plan.Rows[1].Cells, c => c.Column == "context_evil");
    }

    /// <summary>A track call as analytics.js sends one (the ingest bench's events): six properties, a page context.</summary>
    private const string BrowserTrack = """
        { "type": "track", "event": "Product Viewed", "userId": "user_0012345", "anonymousId": "0b7f4c1e-9d2a-4c55-8f1e-3a6b2d9c7e10",
          "messageId": "6f1d2c3b-aaaa-4bbb-8ccc-1234567890ab", "timestamp": "2024-05-01T10:00:01.123Z",
          "originalTimestamp": "2024-05-01T10:00:00.998Z", "sentAt": "2024-05-01T10:00:01.000Z", "receivedAt": "2024-05-01T10:00:01.200Z",
          "properties": { "product_id": "sku_41234", "category": "shoes", "price": 59.9, "quantity": 2, "currency": "USD", "name": "Trail Runner" },
          "context": { "library": { "name": "analytics.js", "version": "next-1.70.0" }, "ip": "203.0.113.9",
                       "userAgent": "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0", "locale": "en-US",
                       "page": { "path": "/products/sku_41234", "url": "https://shop.example.com/products/sku_41234",
                                 "referrer": "https://www.google.com/", "title": "Trail Runner" } } }
        """;

    [Fact]
    public void A_track_calls_two_rows_share_its_context_and_timestamps_read_once()
    {
        var plan = Plan(BrowserTrack);

        var (tracks, own) = (plan.Rows[0], plan.Rows[1]);
        foreach (var column in new[] { "context_ip", "context_user_agent", "context_page_url", "received_at", "timestamp", "sent_at", "original_timestamp" })
        {
            Assert.Same(tracks.Cell(column), own.Cell(column));
        }

        Assert.Equal("2024-05-01T10:00:01.123Z", tracks.Cell("timestamp")!.Value);
        Assert.Equal(WarehouseType.TimestampTz, tracks.Cell("timestamp")!.Type);
        Assert.Equal(WarehouseType.Text, own.Cell("context_page_url")!.Type);
    }

    /// <summary>Planning is most of the loader's own CPU per event, and what it allocates the garbage collector pays for
    /// again (bench/README.md, "Session 10: warehouse"): a bound, so an allocation per field does not creep back.</summary>
    [Fact]
    public void Planning_a_browser_track_call_allocates_a_bounded_amount()
    {
        var json = Parse(BrowserTrack);
        for (var i = 0; i < 20; i++)
        {
            WarehouseRowPlanner.Plan(json);
        }

        const int Events = 200;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Events; i++)
        {
            WarehouseRowPlanner.Plan(json);
        }

        var perEvent = (GC.GetAllocatedBytesForCurrentThread() - before) / Events;
        Assert.True(perEvent <= MaxPlanBytesPerTrack, $"planning one track call allocated {perEvent:N0} bytes (bound {MaxPlanBytesPerTrack:N0})");
    }

    /// <summary>33,520 bytes before the planner shared its context and timestamps and remembered column names; 18,128 after.</summary>
    private const int MaxPlanBytesPerTrack = 24_000;

    private static WarehousePlan Plan(string json) => WarehouseRowPlanner.Plan(Parse(json));
}
