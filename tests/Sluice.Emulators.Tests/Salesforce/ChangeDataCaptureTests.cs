using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Sluice.Emulators.Salesforce;
using Sluice.Emulators.Salesforce.Org;
using Sluice.Testing;

namespace Sluice.Emulators.Tests.Salesforce;

/// <summary>
/// The emulator's CometD endpoint at the protocol level: which events a save publishes (merged, gap, overflow),
/// their origin, what a rolled-back save publishes (nothing), retention by the clock, and the session errors.
/// </summary>
public sealed class ChangeDataCaptureTests
{
    private const string Api = SalesforceHarness.Api;
    private const string Cometd = "/cometd/62.0";

    [Fact]
    public async Task A_collection_delete_publishes_one_event_listing_every_record_with_the_callers_client_as_origin()
    {
        await using var harness = await SalesforceHarness.StartAsync();
        var ids = Enumerable.Range(1, 3).Select(i => Create(harness.Emulator, "Contact", "Gone " + i)).ToList();
        var bayeux = await Bayeux.StartAsync(harness, "/data/ContactChangeEvent");

        harness.Http.DefaultRequestHeaders.Add("Sforce-Call-Options", "client=sluice-test");
        using var deleted = await harness.SendAsync(HttpMethod.Delete, $"{Api}/composite/sobjects?ids={string.Join(',', ids)}");
        deleted.EnsureSuccessStatusCode();

        var header = Header(Assert.Single(await bayeux.EventsAsync()));
        Assert.Equal("DELETE", header["changeType"]!.GetValue<string>());
        Assert.Equal(ids, header["recordIds"]!.AsArray().Select(i => i!.GetValue<string>()));
        Assert.Equal("com/salesforce/api/rest/62.0;client=sluice-test", header["changeOrigin"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_rolled_back_all_or_none_composite_publishes_nothing()
    {
        await using var harness = await SalesforceHarness.StartAsync();
        var bayeux = await Bayeux.StartAsync(harness, "/data/ChangeEvents");
        var body = new JsonObject
        {
            ["allOrNone"] = true,
            ["compositeRequest"] = new JsonArray(
                new JsonObject { ["method"] = "POST", ["url"] = $"{Api}/sobjects/Account", ["referenceId"] = "ok", ["body"] = new JsonObject { ["Name"] = "Kept?" } },
                new JsonObject { ["method"] = "POST", ["url"] = $"{Api}/sobjects/Account", ["referenceId"] = "bad", ["body"] = new JsonObject { ["Phone"] = "no name" } }),
        };

        await harness.JsonAsync(HttpMethod.Post, $"{Api}/composite", body);
        Create(harness.Emulator, "Account", "After");

        var events = await bayeux.EventsAsync();
        Assert.Equal(["After"], events.Select(e => e["payload"]!["Name"]!.GetValue<string>()));
    }

    [Fact]
    public async Task With_gap_events_on_a_change_arrives_as_a_header_only_gap_event()
    {
        await using var harness = await SalesforceHarness.StartAsync();
        var id = Create(harness.Emulator, "Contact", "Gapped");
        var bayeux = await Bayeux.StartAsync(harness, "/data/ContactChangeEvent");
        using var admin = new HttpClient { BaseAddress = harness.Emulator.BaseUrl };
        (await admin.PutAsync("__emulator/streaming", new StringContent("""{"gapEvents": true}""", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();

        Update(harness.Emulator, id, "Email", "gap@example.com");

        var message = Assert.Single(await bayeux.EventsAsync());
        Assert.Equal("GAP_UPDATE", Header(message)["changeType"]!.GetValue<string>());
        Assert.Equal([id], Header(message)["recordIds"]!.AsArray().Select(i => i!.GetValue<string>()));
        Assert.Equal(["ChangeEventHeader"], message["payload"]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public async Task Changes_past_the_overflow_threshold_become_one_gap_overflow_event_per_object()
    {
        await using var harness = await SalesforceHarness.StartAsync();
        harness.Emulator.SetStreaming(new SalesforceStreamingOptions { OverflowThreshold = 2 });
        var bayeux = await Bayeux.StartAsync(harness, "/data/ChangeEvents");

        var results = harness.Emulator.Org.Save([.. Enumerable.Range(1, 4).Select(i => Insert("Contact", "Many " + i))]);

        var events = await bayeux.EventsAsync();
        Assert.Equal(["CREATE", "CREATE", "GAP_OVERFLOW"], events.Select(e => Header(e)["changeType"]!.GetValue<string>()));
        Assert.Equal([results[0].Id, results[1].Id], events.Take(2).Select(e => Header(e)["recordIds"]![0]!.GetValue<string>()));
        Assert.Empty(Header(events[2])["recordIds"]!.AsArray());
        Assert.Equal([1, 2, 3], events.Select(e => Header(e)["sequenceNumber"]!.GetValue<int>()));
        Assert.Single(events.Select(e => Header(e)["transactionKey"]!.GetValue<string>()).Distinct());
    }

    [Fact]
    public async Task A_bulk_ingest_jobs_changes_carry_the_bulk_api_origin_and_the_creating_requests_client()
    {
        await using var harness = await SalesforceHarness.StartAsync();
        var bayeux = await Bayeux.StartAsync(harness, "/data/ContactChangeEvent");
        harness.Http.DefaultRequestHeaders.Add("Sforce-Call-Options", "client=sluice");
        var job = await harness.JsonAsync(HttpMethod.Post, $"{Api}/jobs/ingest", new { @object = "Contact", operation = "insert", lineEnding = "LF" });
        var jobId = job["id"]!.GetValue<string>();
        using var csv = new StringContent("LastName\nBulk one\nBulk two\n", Encoding.UTF8);
        csv.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        (await harness.Http.PutAsync($"{Api}/jobs/ingest/{jobId}/batches", csv)).EnsureSuccessStatusCode();
        await harness.JsonAsync(HttpMethod.Patch, $"{Api}/jobs/ingest/{jobId}", new { state = "UploadComplete" });

        var events = new List<JsonObject>();
        await Eventually.HoldsAsync(async () =>
        {
            events.AddRange(await bayeux.EventsAsync());
            return events.Count >= 2;
        }, "both bulk-created contacts published");

        Assert.All(events, e => Assert.Equal("com/salesforce/api/bulkapi/62.0;client=sluice", Header(e)["changeOrigin"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Events_older_than_the_retention_are_gone_and_their_replay_ids_invalid()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var harness = await SalesforceHarness.StartAsync(time: clock, tokenTtl: TimeSpan.FromDays(10));
        Create(harness.Emulator, "Contact", "Old one");
        Create(harness.Emulator, "Contact", "Old two");
        var old = harness.Emulator.LatestReplayId - 1;
        var before = await Bayeux.StartAsync(harness, "/data/ContactChangeEvent", replayFrom: old);
        Assert.Single(await before.EventsAsync());

        clock.Advance(TimeSpan.FromHours(72) + TimeSpan.FromSeconds(1));

        var client = await Bayeux.HandshakeAsync(harness);
        var refused = await Bayeux.SubscribeAsync(harness, client, "/data/ContactChangeEvent", old);
        Assert.False(refused["successful"]!.GetValue<bool>());
        Assert.Equal($"400::The replayId {{{old}}} you provided was invalid.  Please provide a valid ID, -2 to replay all events, or -1 to replay only new events.", refused["error"]!.GetValue<string>());
        var all = await Bayeux.StartAsync(harness, "/data/ContactChangeEvent", replayFrom: -2);
        Assert.Empty(await all.EventsAsync());
    }

    [Fact]
    public async Task An_unknown_client_is_told_to_handshake_and_an_expired_session_is_refused()
    {
        await using var harness = await SalesforceHarness.StartAsync();

        var unknown = Assert.Single(await Bayeux.PostAsync(harness, new JsonObject { ["channel"] = "/meta/connect", ["clientId"] = "nobody", ["connectionType"] = "long-polling" }));
        Assert.Equal("403::Unknown client", unknown["error"]!.GetValue<string>());
        Assert.Equal("handshake", unknown["advice"]!["reconnect"]!.GetValue<string>());

        harness.Emulator.ExpireTokens();
        var refused = Assert.Single(await Bayeux.PostAsync(harness, new JsonObject { ["channel"] = "/meta/handshake", ["version"] = "1.0" }));
        Assert.Equal("401::Authentication invalid", refused["error"]!.GetValue<string>());
    }

    private static JsonNode Header(JsonObject message) => message["payload"]!["ChangeEventHeader"]!;

    private static SaveRequest Insert(string objectName, string name) => new()
    {
        Operation = SaveOperation.Insert,
        ObjectName = objectName,
        Fields = [new(objectName == "Contact" ? "LastName" : "Name", name)],
    };

    private static string Create(SalesforceEmulator emulator, string objectName, string name)
    {
        var result = emulator.Org.Save([Insert(objectName, name)])[0];
        Assert.True(result.Success);
        return result.Id!;
    }

    private static void Update(SalesforceEmulator emulator, string id, string field, string value) =>
        Assert.True(emulator.Org.Save([new SaveRequest { Operation = SaveOperation.Update, Id = id, Fields = [new(field, value)] }])[0].Success);

    /// <summary>A bare Bayeux client: connects answer at once (advice timeout 0), so a test reads what is there now.</summary>
    private sealed class Bayeux(SalesforceHarness harness, string clientId)
    {
        public static async Task<Bayeux> StartAsync(SalesforceHarness harness, string channel, long replayFrom = -1)
        {
            var clientId = await HandshakeAsync(harness);
            var reply = await SubscribeAsync(harness, clientId, channel, replayFrom);
            Assert.True(reply["successful"]!.GetValue<bool>(), reply.ToJsonString());
            return new Bayeux(harness, clientId);
        }

        public static async Task<string> HandshakeAsync(SalesforceHarness harness)
        {
            var reply = Assert.Single(await PostAsync(harness, new JsonObject { ["channel"] = "/meta/handshake", ["version"] = "1.0", ["supportedConnectionTypes"] = new JsonArray("long-polling") }));
            Assert.True(reply["ext"]!["replay"]!.GetValue<bool>());
            return reply["clientId"]!.GetValue<string>();
        }

        public static async Task<JsonObject> SubscribeAsync(SalesforceHarness harness, string clientId, string channel, long replayFrom) =>
            Assert.Single(await PostAsync(harness, new JsonObject
            {
                ["channel"] = "/meta/subscribe",
                ["clientId"] = clientId,
                ["subscription"] = channel,
                ["ext"] = new JsonObject { ["replay"] = new JsonObject { [channel] = replayFrom } },
            }));

        public static async Task<List<JsonObject>> PostAsync(SalesforceHarness harness, JsonObject message)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, Cometd) { Content = new StringContent(new JsonArray(message).ToJsonString(), Encoding.UTF8, "application/json") };
            request.Headers.Authorization = new AuthenticationHeaderValue("OAuth", harness.Http.DefaultRequestHeaders.Authorization!.Parameter);
            using var response = await harness.Http.SendAsync(request);
            return [.. JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray().Select(m => m!.AsObject())];
        }

        /// <summary>The events waiting for this client, in order.</summary>
        public async Task<List<JsonObject>> EventsAsync()
        {
            var replies = await PostAsync(harness, new JsonObject
            {
                ["channel"] = "/meta/connect",
                ["clientId"] = clientId,
                ["connectionType"] = "long-polling",
                ["advice"] = new JsonObject { ["timeout"] = 0 },
            });
            Assert.True(replies[^1]["successful"]!.GetValue<bool>(), replies[^1].ToJsonString());
            return [.. replies.Where(r => r["data"] is not null).Select(r => r["data"]!.AsObject())];
        }
    }
}
