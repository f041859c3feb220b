using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Sluice.Emulators.Segment;

namespace Sluice.Emulators.Tests.Segment;

public sealed class TrackingApiTests
{
    [Fact]
    public async Task A_batch_is_answered_success_true_and_every_event_is_recorded()
    {
        await using var harness = await EmulatorHarness.StartAsync();
        var body = EmulatorHarness.Batch(
            new { type = "identify", messageId = "m1", userId = "u1", traits = new { email = "a@example.com" } },
            new { type = "track", messageId = "m2", userId = "u1", @event = "Order Completed", properties = new { revenue = 9.5 } },
            new { type = "page", messageId = "m3", anonymousId = "anon-1", name = "Home" },
            new { type = "screen", messageId = "m4", userId = "u2", name = "Settings" },
            new { type = "group", messageId = "m5", userId = "u2", groupId = "g1" },
            new { type = "alias", messageId = "m6", userId = "u2", previousId = "anon-1" });

        using var response = await harness.PostAsync("v1/batch", body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"success":true}""", await response.Content.ReadAsStringAsync());
        var messages = harness.Emulator.Messages();
        Assert.Equal(["m1", "m2", "m3", "m4", "m5", "m6"], messages.Select(m => m.MessageId));
        Assert.Equal(["identify", "track", "page", "screen", "group", "alias"], messages.Select(m => m.Type));
        Assert.Equal("anon-1", messages[2].AnonymousId);
        Assert.Null(messages[2].UserId);
        var track = EmulatorHarness.Parse(messages[1]);
        Assert.Equal("Order Completed", track["event"]!.GetValue<string>());
        Assert.Equal(9.5, track["properties"]!["revenue"]!.GetValue<double>());

        var stats = harness.Emulator.Stats;
        Assert.Equal(1, stats.Requests);
        Assert.Equal(6, stats.Events);
        Assert.Equal(6, stats.Unique);
        Assert.Equal(2, stats.DistinctUserIds);
        Assert.All(stats.ByType.Values, count => Assert.Equal(1, count));
        Assert.Single(harness.Emulator.Messages("track"));
    }

    [Fact]
    public async Task A_repeated_messageId_is_counted_as_a_duplicate_and_stored_once()
    {
        await using var harness = await EmulatorHarness.StartAsync();
        var first = EmulatorHarness.Batch(new { type = "identify", messageId = "same", userId = "u1", traits = new { plan = "free" } });
        var retry = EmulatorHarness.Batch(
            new { type = "identify", messageId = "same", userId = "u1", traits = new { plan = "pro" } },
            new { type = "identify", messageId = "other", userId = "u1" });

        (await harness.PostAsync("v1/batch", first)).Dispose();
        (await harness.PostAsync("v1/batch", retry)).Dispose();
        (await harness.PostAsync("v1/identify", """{"messageId":"same","userId":"u1"}""")).Dispose();

        var stats = harness.Emulator.Stats;
        Assert.Equal(4, stats.Events);
        Assert.Equal(2, stats.Unique);
        Assert.Equal(2, stats.Duplicates);
        var same = harness.Emulator.Messages().Single(m => m.MessageId == "same");
        Assert.Equal(3, same.TimesReceived);
        Assert.Equal("free", EmulatorHarness.Parse(same)["traits"]!["plan"]!.GetValue<string>());
    }

    [Fact]
    public async Task Events_Segment_would_discard_get_200_and_are_counted_as_dropped()
    {
        await using var harness = await EmulatorHarness.StartAsync();
        var body = EmulatorHarness.Batch(
            new { type = "identify", messageId = "no-identity", traits = new { a = 1 } },
            new { type = "track", messageId = "no-event", userId = "u1" },
            new { type = "group", messageId = "no-group", userId = "u1" },
            new { type = "alias", messageId = "no-previous", userId = "u1" },
            new { type = "launch", messageId = "unknown-type", userId = "u1" },
            new { messageId = "no-type", userId = "u1" },
            new { type = "identify", messageId = new string('x', 101), userId = "u1" },
            new { type = "identify", messageId = "kept", userId = "u1" });

        using var response = await harness.PostAsync("v1/batch", body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("kept", Assert.Single(harness.Emulator.Messages()).MessageId);
        Assert.Equal(7, harness.Emulator.Stats.Dropped);
        Assert.Equal(8, harness.Emulator.Stats.Events);
    }

    [Fact]
    public async Task Items_past_2500_in_one_batch_are_dropped_with_a_200()
    {
        await using var harness = await EmulatorHarness.StartAsync();
        var events = Enumerable.Range(0, 2_510).Select(i => (object)new { type = "identify", messageId = $"m{i}", userId = "u" }).ToArray();

        using var response = await harness.PostAsync("v1/batch", EmulatorHarness.Batch(events));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2_500, harness.Emulator.Stats.Unique);
        Assert.Equal(10, harness.Emulator.Stats.Dropped);
    }

    [Fact]
    public async Task Single_call_endpoints_and_browser_short_paths_take_the_type_from_the_path()
    {
        await using var harness = await EmulatorHarness.StartAsync();
        string[] paths = ["v1/identify", "v1/track", "v1/page", "v1/screen", "v1/group", "v1/alias", "v1/i", "v1/t", "v1/p", "v1/s", "v1/g", "v1/a"];
        foreach (var path in paths)
        {
            var json = $$"""{"userId":"u1","event":"Clicked","groupId":"g1","previousId":"p1","messageId":"{{path}}"}""";
            using var response = await harness.PostAsync(path, json, contentType: "text/plain");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var types = harness.Emulator.Messages().ToDictionary(m => m.MessageId, m => m.Type);
        Assert.Equal("identify", types["v1/i"]);
        Assert.Equal("track", types["v1/t"]);
        Assert.Equal("page", types["v1/p"]);
        Assert.Equal("screen", types["v1/s"]);
        Assert.Equal("group", types["v1/g"]);
        Assert.Equal("alias", types["v1/a"]);
        Assert.Equal("alias", types["v1/alias"]);
        Assert.Equal("alias", EmulatorHarness.Parse(harness.Emulator.Messages().Single(m => m.MessageId == "v1/a"))["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Import_b_and_m_paths_are_served()
    {
        await using var harness = await EmulatorHarness.StartAsync();
        var body = EmulatorHarness.Batch(new { type = "track", userId = "u1", @event = "E" });

        using var import = await harness.PostAsync("v1/import/", body);
        using var browserBatch = await harness.PostAsync("v1/b", body);
        using var metrics = await harness.PostAsync("v1/m", """{"series":[]}""", writeKey: null);

        Assert.Equal(HttpStatusCode.OK, import.StatusCode);
        Assert.Equal(HttpStatusCode.OK, browserBatch.StatusCode);
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Equal(2, harness.Emulator.Stats.Unique);
        Assert.Equal(2, harness.Emulator.Stats.Requests);
        Assert.All(harness.Emulator.Messages(), m => Assert.StartsWith("api-", m.MessageId, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_gzip_body_with_a_form_content_type_is_accepted_as_RudderStack_sends_it()
    {
        await using var harness = await EmulatorHarness.StartAsync();
        var json = EmulatorHarness.Batch(new { type = "identify", messageId = "gz", userId = "u1", originalTimestamp = "2024-01-01T00:00:00.000Z", channel = "server" });
        using var compressed = new MemoryStream();
        await using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            await gzip.WriteAsync(Encoding.UTF8.GetBytes(json));
        }

        var content = new ByteArrayContent(compressed.ToArray());
        content.Headers.ContentType = new("application/x-www-form-urlencoded");
        content.Headers.ContentEncoding.Add("gzip");
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/batch") { Content = content };
        request.Headers.Authorization = EmulatorHarness.Basic("k");

        using var response = await harness.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("server", EmulatorHarness.Parse(Assert.Single(harness.Emulator.Messages()))["channel"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_CORS_preflight_allows_the_headers_analytics_next_sends()
    {
        await using var harness = await EmulatorHarness.StartAsync();
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "v1/t");
        preflight.Headers.Add("Origin", "https://shop.example.com");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "authorization,content-type,x-retry-count");

        using var response = await harness.Http.SendAsync(preflight);
        using var post = await harness.PostAsync("v1/t", """{"userId":"u","event":"E"}""");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("https://shop.example.com", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        var allowed = response.Headers.GetValues("Access-Control-Allow-Headers").Single();
        Assert.Contains("Authorization", allowed, StringComparison.Ordinal);
        Assert.Contains("Content-Type", allowed, StringComparison.Ordinal);
        Assert.Contains("X-Retry-Count", allowed, StringComparison.Ordinal);
        Assert.Contains("POST", response.Headers.GetValues("Access-Control-Allow-Methods").Single(), StringComparison.Ordinal);
        Assert.Equal("*", post.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal(1, harness.Emulator.Stats.Requests);
    }

    [Fact]
    public async Task The_write_key_may_come_from_the_body_instead_of_Basic_auth()
    {
        await using var harness = await EmulatorHarness.StartAsync();

        using var rootKey = await harness.PostAsync("v1/batch", """{"writeKey":"k","batch":[{"type":"identify","userId":"u1"}]}""", writeKey: null);
        using var itemKey = await harness.PostAsync("v1/batch", """{"batch":[{"type":"identify","userId":"u2","writeKey":"k"}]}""", writeKey: null);
        using var eventKey = await harness.PostAsync("v1/track", """{"userId":"u3","event":"E","writeKey":"k"}""", writeKey: null);
        using var noColon = new HttpRequestMessage(HttpMethod.Post, "v1/identify") { Content = new StringContent("""{"userId":"u4"}""") };
        noColon.Headers.Authorization = new("Basic", Convert.ToBase64String("k"u8.ToArray()));
        using var noColonResponse = await harness.Http.SendAsync(noColon);

        Assert.All([rootKey, itemKey, eventKey, noColonResponse], r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(4, harness.Emulator.Stats.Unique);
    }

    [Fact]
    public async Task Configured_write_keys_reject_other_keys_with_Segments_message()
    {
        await using var harness = await EmulatorHarness.StartAsync(writeKeys: ["good"]);

        using var good = await harness.PostAsync("v1/identify", """{"userId":"u1"}""", writeKey: "good");
        using var bad = await harness.PostAsync("v1/identify", """{"userId":"u1"}""", writeKey: "bad");

        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        await EmulatorHarness.AssertRejectedAsync(bad, "An invalid write key was provided");
    }

    [Fact]
    public async Task Messages_beyond_the_retention_keep_their_ids_and_counters_but_not_their_bodies()
    {
        await using var harness = await EmulatorHarness.StartAsync(retainMessages: 2);
        var events = Enumerable.Range(0, 5).Select(i => (object)new { type = "identify", messageId = $"m{i}", userId = $"u{i}" }).ToArray();

        (await harness.PostAsync("v1/batch", EmulatorHarness.Batch(events))).Dispose();
        (await harness.PostAsync("v1/batch", EmulatorHarness.Batch(events[0]))).Dispose();

        Assert.Equal(["m3", "m4"], harness.Emulator.Messages().Select(m => m.MessageId));
        var stats = harness.Emulator.Stats;
        Assert.Equal(5, stats.Unique);
        Assert.Equal(1, stats.Duplicates);
        Assert.Equal(5, stats.DistinctUserIds);
        Assert.Equal(2, stats.RetainedMessages);
    }

    [Fact]
    public async Task Listing_is_paged_and_filtered_by_type()
    {
        await using var harness = await EmulatorHarness.StartAsync();
        var events = Enumerable.Range(0, 10).Select(i => (object)(i % 2 == 0
            ? new { type = "identify", messageId = $"m{i}", userId = "u" }
            : new { type = "track", messageId = $"m{i}", userId = "u", @event = "E" })).ToArray();
        (await harness.PostAsync("v1/batch", EmulatorHarness.Batch(events))).Dispose();

        Assert.Equal(["m3", "m5"], harness.Emulator.Messages("track", offset: 1, limit: 2).Select(m => m.MessageId));
        Assert.Empty(harness.Emulator.Messages("nonsense"));
        Assert.Equal(10, harness.Emulator.Messages().Count);
    }

    [Fact]
    public async Task Reset_forgets_messages_ids_and_counters()
    {
        await using var harness = await EmulatorHarness.StartAsync();
        var body = EmulatorHarness.Batch(new { type = "identify", messageId = "m1", userId = "u1" });
        (await harness.PostAsync("v1/batch", body)).Dispose();

        harness.Emulator.Reset();
        (await harness.PostAsync("v1/batch", body)).Dispose();

        Assert.Equal(1, harness.Emulator.Stats.Unique);
        Assert.Equal(0, harness.Emulator.Stats.Duplicates);
        Assert.Equal(1, Assert.Single(harness.Emulator.Messages()).TimesReceived);
    }

    [Fact]
    public async Task Unicode_and_escapes_survive_the_round_trip()
    {
        await using var harness = await EmulatorHarness.StartAsync();
        const string Json = """{"batch":[{"type":"identify","userId":"Zoë","traits":{"name":"Über \"quoted\" \u00e9","emoji":"🚀"}}]}""";

        (await harness.PostAsync("v1/batch", Json)).Dispose();

        var message = Assert.Single(harness.Emulator.Messages());
        Assert.Equal("Zoë", message.UserId);
        var traits = EmulatorHarness.Parse(message)["traits"]!;
        Assert.Equal("Über \"quoted\" é", traits["name"]!.GetValue<string>());
        Assert.Equal("🚀", traits["emoji"]!.GetValue<string>());
        Assert.IsType<JsonObject>(JsonNode.Parse(message.Json));
    }
}
