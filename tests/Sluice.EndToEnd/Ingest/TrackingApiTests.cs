using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Sluice.Core.Errors;
using Sluice.Segment.Protocol;
using static Sluice.EndToEnd.Ingest.IngestApiHarness;

namespace Sluice.EndToEnd.Ingest;

/// <summary>
/// The Segment-compatible Tracking API of <c>sluice run</c>, in process on a real Kestrel and a real ingest queue:
/// what Segment's clients send is stored, durably, before the 200; what Segment refuses is refused the same way.
/// </summary>
public sealed class TrackingApiTests
{
    [Theory]
    [InlineData("/v1/identify", "identify", """{"userId":"u1","traits":{"plan":"pro"}}""", null)]
    [InlineData("/v1/i", "identify", """{"userId":"u1"}""", null)]
    [InlineData("/v1/track", "track", """{"userId":"u1","event":"Order Completed"}""", "Order Completed")]
    [InlineData("/v1/t", "track", """{"anonymousId":"a1","event":"Clicked"}""", "Clicked")]
    [InlineData("/v1/page", "page", """{"userId":"u1","name":"Pricing"}""", "Pricing")]
    [InlineData("/v1/p", "page", """{"userId":"u1"}""", null)]
    [InlineData("/v1/screen", "screen", """{"userId":"u1","name":"Settings"}""", "Settings")]
    [InlineData("/v1/s", "screen", """{"userId":"u1","name":"Home"}""", "Home")]
    [InlineData("/v1/group", "group", """{"userId":"u1","groupId":"g1"}""", null)]
    [InlineData("/v1/g", "group", """{"userId":"u1","groupId":"g1"}""", null)]
    [InlineData("/v1/alias", "alias", """{"userId":"u1","previousId":"a1"}""", null)]
    [InlineData("/v1/a", "alias", """{"userId":"u1","previousId":"a1"}""", null)]
    public async Task Each_call_type_and_short_path_is_stored_with_its_type(string path, string type, string json, string? name)
    {
        await using var api = await StartAsync(nameof(Each_call_type_and_short_path_is_stored_with_its_type) + path.Replace('/', '_'));

        var answer = await api.PostAsync(path, json);

        Assert.Equal(200, answer.Status);
        Assert.Equal("""{"success":true}""", answer.Body);
        var row = Assert.Single(await api.RowsAsync());
        Assert.Equal(("web", "segment", type, name), (row.Source, row.Kind, row.Type, row.Event));
        Assert.Equal(api.Time.GetUtcNow(), row.ReceivedAt);
        Assert.Equal(type, row.Field("type"));
        Assert.Equal("2026-05-01T12:00:00.000Z", row.Field("receivedAt"));
        Assert.StartsWith("api-", row.Field("messageId"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/v1/batch")]
    [InlineData("/v1/b")]
    [InlineData("/v1/import/")]
    public async Task A_batch_is_stored_in_order_with_its_root_context_merged(string path)
    {
        await using var api = await StartAsync(nameof(A_batch_is_stored_in_order_with_its_root_context_merged) + path.Replace('/', '_'));
        var batch = """
            {"batch":[
              {"type":"identify","messageId":"m1","userId":"u1","context":{"ip":"10.0.0.1"}},
              {"type":"track","messageId":"m2","userId":"u1","event":"Signed Up"},
              {"type":"track","messageId":"m3","userId":"u1"},
              {"type":"alias","messageId":"m4","userId":"u1","previousId":"a1"}
            ],"context":{"ip":"10.9.9.9","library":{"name":"curl"}}}
            """;

        var answer = await api.PostAsync(path, batch);

        Assert.Equal(200, answer.Status);
        var rows = await api.RowsAsync();

        // A track without an event is answered 200 and dropped, as Segment does (http-api "Errors").
        Assert.Equal(["m1", "m2", "m4"], rows.Select(r => r.Field("messageId")));
        Assert.Equal(["identify", "track", "alias"], rows.Select(r => r.Type));
        Assert.Single(rows.Select(r => r.ReceivedAt).Distinct());
        Assert.Equal("10.0.0.1", rows[0].Payload.GetProperty("context").GetProperty("ip").GetString());
        Assert.Equal("curl", rows[0].Payload.GetProperty("context").GetProperty("library").GetProperty("name").GetString());
        Assert.Equal("10.9.9.9", rows[1].Payload.GetProperty("context").GetProperty("ip").GetString());
    }

    [Fact]
    public async Task Each_event_of_a_large_batch_is_stored_byte_for_byte_as_normalised_alone()
    {
        await using var api = await StartAsync(nameof(Each_event_of_a_large_batch_is_stored_byte_for_byte_as_normalised_alone));

        // 700 events of every call type and many sizes (some far over what normalising adds), with unicode, escapes,
        // a duplicate messageId, and a root context (larger than the API's allowance per event) and sentAt merged into each.
        var types = new[] { "identify", "track", "page", "screen", "group", "alias" };
        var items = Enumerable.Range(0, 700).Select(i =>
        {
            var type = types[i % types.Length];
            var padding = new string('é', (i * 37) % 200);
            return $$$"""{"type":"{{{type}}}","messageId":"m{{{(i == 699 ? 0 : i)}}}","userId":"u{{{i}}}","event":"Ordered 🎉 {{{i}}}","name":"P\u00e1ge {{{i}}}","groupId":"g1","previousId":"a1","timestamp":"2026-05-01T11:59:0{{{i % 10}}}.250Z","properties":{"note":"{{{padding}}}","n":{{{i}}}}}""";
        });
        var body = $$$$"""{"batch":[{{{{string.Join(",", items)}}}}],"sentAt":"2026-05-01T12:00:01Z","context":{"library":{"name":"bench"},"page":{"url":"https://example.com/{{{{new string('x', 300)}}}}"}}}""";

        var answer = await api.PostAsync("/v1/batch", body);

        Assert.Equal(200, answer.Status);
        await using var command = api.Db.CreateCommand("SELECT payload FROM sluice.ingest_queue ORDER BY xid, position");
        var stored = new List<byte[]>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                stored.Add((byte[])reader.GetValue(0));
            }
        }

        // The old path: each parsed event written on its own by the same writer, with the API's receivedAt.
        Assert.True(TrackingRoute.TryResolve("/v1/batch", out var route));
        Assert.True(PayloadParser.TryParse(Encoding.UTF8.GetBytes(body), route, out var parsed, out var error), error);
        var expected = parsed.Events.Select(e =>
        {
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            using (var writer = new Utf8JsonWriter(buffer, SegmentEventWriter.WriterOptions))
            {
                SegmentEventWriter.Write(writer, e, SegmentTimestamps.NowTicks(api.Time), omitWriteKey: true);
            }

            return Encoding.UTF8.GetString(buffer.WrittenSpan);
        }).ToList();
        Assert.Equal(700, expected.Count);
        Assert.Equal(expected, stored.Select(b => Encoding.UTF8.GetString(b)));
    }

    [Fact]
    public async Task Concurrent_batches_are_each_stored_as_sent_while_the_API_reuses_its_buffers()
    {
        await using var api = await StartAsync(nameof(Concurrent_batches_are_each_stored_as_sent_while_the_API_reuses_its_buffers));

        // Many requests at once, of different sizes, so the pooled buffers each request normalises into are handed from
        // one request to the next while others are still being committed.
        var bodies = Enumerable.Range(0, 60).Select(r => "{\"batch\":[" + string.Join(",", Enumerable.Range(0, 1 + (r * 7 % 40)).Select(i => Event(r, i))) + "]}").ToList();
        var answers = await Task.WhenAll(bodies.Select(b => api.PostAsync("/v1/batch", b)));

        Assert.All(answers, a => Assert.Equal(200, a.Status));
        await using var command = api.Db.CreateCommand("SELECT payload FROM sluice.ingest_queue");
        var stored = new Dictionary<string, string>(StringComparer.Ordinal);
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                var json = Encoding.UTF8.GetString((byte[])reader.GetValue(0));
                using var document = JsonDocument.Parse(json);
                stored.Add(document.RootElement.GetProperty("messageId").GetString()!, json);
            }
        }

        Assert.True(TrackingRoute.TryResolve("/v1/batch", out var route));
        var expected = bodies.SelectMany(body =>
        {
            Assert.True(PayloadParser.TryParse(Encoding.UTF8.GetBytes(body), route, out var parsed, out var error), error);
            return parsed.Events.Select(e =>
            {
                var buffer = new System.Buffers.ArrayBufferWriter<byte>();
                using (var writer = new Utf8JsonWriter(buffer, SegmentEventWriter.WriterOptions))
                {
                    SegmentEventWriter.Write(writer, e, SegmentTimestamps.NowTicks(api.Time), omitWriteKey: true);
                }

                return (e.MessageId, Json: Encoding.UTF8.GetString(buffer.WrittenSpan));
            }).ToList();
        }).ToList();
        Assert.Equal(expected.Count, stored.Count);
        Assert.All(expected, e => Assert.Equal(e.Json, stored[e.MessageId]));

        static string Event(int request, int i) =>
            $$"""{"type":"track","messageId":"r{{request}}-{{i}}","userId":"u{{request}}","event":"E {{request}}/{{i}}","properties":{"pad":"{{new string((char)('a' + (request % 26)), ((request * 131) + (i * 17)) % 900)}}"}""" + "}";
    }

    [Fact]
    public async Task Basic_auth_and_the_body_writeKey_pick_the_source_and_the_key_is_not_stored()
    {
        await using var api = await StartAsync(nameof(Basic_auth_and_the_body_writeKey_pick_the_source_and_the_key_is_not_stored));

        var byHeader = await api.PostAsync("/v1/track", """{"userId":"u1","event":"A","messageId":"h"}""", AppKey);
        var byBody = await api.PostAsync("/v1/track", $$"""{"userId":"u1","event":"B","messageId":"b","writeKey":"{{AppKey}}"}""", writeKey: null);
        var byBatchRoot = await api.PostAsync("/v1/batch", $$"""{"batch":[{"type":"track","userId":"u1","event":"C","messageId":"r"}],"writeKey":"{{WebKey}}"}""", writeKey: null);

        Assert.Equal([200, 200, 200], new[] { byHeader.Status, byBody.Status, byBatchRoot.Status });
        var rows = await api.RowsAsync();
        Assert.Equal([("A", "app"), ("B", "app"), ("C", "web")], rows.Select(r => (r.Event!, r.Source)));
        Assert.All(rows, r => Assert.False(r.Payload.TryGetProperty("writeKey", out _)));
    }

    [Theory]
    [InlineData("not-a-key")]
    [InlineData(null)]
    public async Task An_unknown_or_missing_write_key_is_refused_with_Segments_400(string? writeKey)
    {
        await using var api = await StartAsync(nameof(An_unknown_or_missing_write_key_is_refused_with_Segments_400) + (writeKey ?? "none"));

        var answer = await api.PostAsync("/v1/track", """{"userId":"u1","event":"A"}""", writeKey);

        Assert.Equal(400, answer.Status);
        Assert.False(answer.Json.GetProperty("success").GetBoolean());
        Assert.Equal("An invalid write key was provided", answer.Message);
        Assert.Empty(await api.RowsAsync());
    }

    [Theory]
    [InlineData("{\"userId\":\"u1\",\"event\":")]
    [InlineData("[1,2]")]
    [InlineData("{\"userId\":\"u1\",\"event\":\"A\"} trailing")]
    public async Task Malformed_JSON_is_refused_with_400_and_a_message(string body)
    {
        await using var api = await StartAsync(nameof(Malformed_JSON_is_refused_with_400_and_a_message) + body.Length);

        var answer = await api.PostAsync("/v1/track", body);

        Assert.Equal(400, answer.Status);
        Assert.StartsWith("Invalid JSON", answer.Message, StringComparison.Ordinal);
        Assert.Empty(await api.RowsAsync());
    }

    [Fact]
    public async Task An_event_over_32_KB_and_a_batch_over_500_KB_are_refused_like_Segment()
    {
        await using var api = await StartAsync(nameof(An_event_over_32_KB_and_a_batch_over_500_KB_are_refused_like_Segment));
        var bigEvent = JsonSerializer.Serialize(new { userId = "u1", @event = "Big", properties = new { blob = new string('a', 33 * 1024) } });
        var bigItem = JsonSerializer.Serialize(new { batch = new[] { new { type = "track", userId = "u1", @event = "Big", properties = new { blob = new string('a', 33 * 1024) } } } });
        var bigBatch = JsonSerializer.Serialize(new { batch = Enumerable.Range(0, 60).Select(i => new { type = "track", userId = $"u{i}", @event = "E", properties = new { blob = new string('a', 10_000) } }) });

        var single = await api.PostAsync("/v1/track", bigEvent);
        var item = await api.PostAsync("/v1/batch", bigItem);
        var batch = await api.PostAsync("/v1/batch", bigBatch);

        Assert.Equal((400, "Exceed payload limit"), (single.Status, single.Message));
        Assert.Equal((400, "Exceed payload limit"), (item.Status, item.Message));
        Assert.Equal(400, batch.Status);
        Assert.StartsWith("Exceed payload limit", batch.Message, StringComparison.Ordinal);
        Assert.Empty(await api.RowsAsync());

        // The connection is still usable after a refused body.
        Assert.Equal(200, (await api.PostAsync("/v1/track", """{"userId":"u1","event":"Small"}""")).Status);
    }

    [Fact]
    public async Task A_gzip_body_labelled_form_urlencoded_and_a_text_plain_body_are_accepted()
    {
        await using var api = await StartAsync(nameof(A_gzip_body_labelled_form_urlencoded_and_a_text_plain_body_are_accepted));

        // What @rudderstack/rudder-sdk-node sends (reference §1.2): gzip, an axios content type, Basic auth only.
        using var gzip = new HttpRequestMessage(HttpMethod.Post, "/v1/batch")
        {
            Content = new ByteArrayContent(Gzip("""{"batch":[{"type":"track","userId":"u1","event":"Zipped","messageId":"z1"}],"sentAt":"2026-05-01T12:00:00.000Z"}""")),
        };
        gzip.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
        gzip.Content.Headers.ContentEncoding.Add("gzip");
        gzip.Headers.Authorization = Basic(WebKey);
        var zipped = await api.SendAsync(gzip);

        // What analytics.js sends to avoid a preflight: text/plain with the writeKey in the body.
        var plain = await api.PostAsync("/v1/t", $$"""{"userId":"u1","event":"Plain","writeKey":"{{WebKey}}"}""", writeKey: null, contentType: "text/plain");

        Assert.Equal((200, 200), (zipped.Status, plain.Status));
        Assert.Equal(["Zipped", "Plain"], (await api.RowsAsync()).Select(r => r.Event));
    }

    [Fact]
    public async Task A_gzip_bomb_is_refused_without_being_inflated_into_memory()
    {
        await using var api = await StartAsync(nameof(A_gzip_bomb_is_refused_without_being_inflated_into_memory));

        // 200 MB of JSON whitespace inside a valid batch compresses to about 200 KB.
        using var compressed = new MemoryStream();
        using (var zip = new GZipStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            zip.Write("{\"batch\":["u8);
            var spaces = new byte[1024 * 1024];
            Array.Fill(spaces, (byte)' ');
            for (var i = 0; i < 200; i++)
            {
                zip.Write(spaces);
            }

            zip.Write("]}"u8);
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/batch") { Content = new ByteArrayContent(compressed.ToArray()) };
        request.Content.Headers.ContentEncoding.Add("gzip");
        request.Headers.Authorization = Basic(WebKey);
        var answer = await api.SendAsync(request);

        Assert.Equal(400, answer.Status);
        Assert.StartsWith("Exceed payload limit", answer.Message, StringComparison.Ordinal);
        Assert.Empty(await api.RowsAsync());
    }

    [Fact]
    public async Task A_CORS_preflight_is_answered_for_the_browser_library()
    {
        await using var api = await StartAsync(nameof(A_CORS_preflight_is_answered_for_the_browser_library));
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/v1/t");
        preflight.Headers.Add("Origin", "https://shop.example.com");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");

        var answer = await api.SendAsync(preflight);

        Assert.Equal(204, answer.Status);
        var headers = answer.Response.Headers;
        Assert.Equal("https://shop.example.com", Assert.Single(headers.GetValues("Access-Control-Allow-Origin")));
        Assert.Contains("POST", Assert.Single(headers.GetValues("Access-Control-Allow-Methods")), StringComparison.Ordinal);
        Assert.Contains("Authorization", Assert.Single(headers.GetValues("Access-Control-Allow-Headers")), StringComparison.Ordinal);
        Assert.Contains("X-Retry-Count", Assert.Single(headers.GetValues("Access-Control-Allow-Headers")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_method_other_than_POST_gets_405_and_an_unknown_path_404()
    {
        await using var api = await StartAsync(nameof(A_method_other_than_POST_gets_405_and_an_unknown_path_404));

        var get = await api.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/v1/track"));
        var unknown = await api.PostAsync("/v1/nothing", """{"userId":"u1"}""");

        Assert.Equal(405, get.Status);
        Assert.Equal(404, unknown.Status);
    }

    [Fact]
    public async Task The_timestamp_is_corrected_for_clock_skew_with_sentAt()
    {
        await using var api = await StartAsync(nameof(The_timestamp_is_corrected_for_clock_skew_with_sentAt));

        // The client's clock is an hour behind: it called at 10:59:00 and sent at 10:59:30 by its clock; the API
        // received it at 12:00:00, so the call happened 30 s earlier by the server's clock.
        var answer = await api.PostAsync("/v1/batch", """
            {"batch":[
              {"type":"track","userId":"u1","event":"Root sentAt","messageId":"r","timestamp":"2026-05-01T10:59:00.000Z"},
              {"type":"track","userId":"u1","event":"Own sentAt","messageId":"o","timestamp":"2026-05-01T10:59:00.000Z","sentAt":"2026-05-01T10:59:50.000Z"},
              {"type":"track","userId":"u1","event":"No time","messageId":"n"}
            ],"sentAt":"2026-05-01T10:59:30.000Z"}
            """);

        Assert.Equal(200, answer.Status);
        var rows = await api.RowsAsync();
        Assert.Equal(["2026-05-01T11:59:30.000Z", "2026-05-01T11:59:10.000Z", "2026-05-01T12:00:00.000Z"], rows.Select(r => r.Field("timestamp")));
        Assert.Equal("2026-05-01T10:59:00.000Z", rows[0].Field("originalTimestamp"));
        Assert.Equal("2026-05-01T10:59:30.000Z", rows[0].Field("sentAt"));
        Assert.All(rows, r => Assert.Equal("2026-05-01T12:00:00.000Z", r.Field("receivedAt")));
    }

    [Fact]
    public async Task Hostile_event_names_are_stored_as_data()
    {
        await using var api = await StartAsync(nameof(Hostile_event_names_are_stored_as_data));
        string[] names = ["\"; DROP TABLE users; --", "Ünïcödé 注文 🚀", new string('x', 300), "'); DELETE FROM sluice.ingest_queue; --"];
        var batch = JsonSerializer.Serialize(new { batch = names.Select((n, i) => new { type = "track", userId = "u1", @event = n, messageId = $"h{i}" }) });

        var answer = await api.PostAsync("/v1/batch", batch);

        Assert.Equal(200, answer.Status);
        var rows = await api.RowsAsync();
        Assert.Equal(names, rows.Select(r => r.Field("event")));
        Assert.Equal(names, rows.Select(r => r.Event));
    }

    [Theory]
    [InlineData("/v1/track", """{"userId":"u1","event":"\udc00"}""", "event")]
    [InlineData("/v1/track", """{"userId":"\ud800x","event":"E"}""", "userId")]
    [InlineData("/v1/track", """{"userId":"u1","event":"E","messageId":"m\udfff"}""", "messageId")]
    [InlineData("/v1/track", """{"userId":"u1","event":"E","properties":{"\udc00":1}}""", "properties")]
    [InlineData("/v1/identify", """{"userId":"u1","traits":{"ok":"\ud83d\ude80","plan":"a\udc00b"}}""", "traits.plan")]
    [InlineData("/v1/batch", """{"batch":[{"type":"track","userId":"u1","event":"E"}],"context":{"\ud83d":true}}""", "context")]
    [InlineData("/v1/batch", """{"batch":[{"type":"track","userId":"u1","event":"E","context":{"page":{"path":"\ude80"}}}]}""", "batch[0].context.page.path")]
    public async Task A_lone_surrogate_escape_anywhere_is_refused_with_400_naming_where(string path, string json, string where)
    {
        await using var api = await StartAsync(nameof(A_lone_surrogate_escape_anywhere_is_refused_with_400_naming_where) + where.Replace('[', '_').Replace(']', '_'));

        var answer = await api.PostAsync(path, json);

        Assert.Equal(400, answer.Status);
        Assert.False(answer.Json.GetProperty("success").GetBoolean());
        Assert.Contains($"{where}: ", answer.Message, StringComparison.Ordinal);
        Assert.Contains("surrogate", answer.Message, StringComparison.Ordinal);
        Assert.Empty(await api.RowsAsync());
    }

    [Theory]
    [InlineData("/v1/track", """{"userId":"u1","event":"<FF>"}""", "event")]
    [InlineData("/v1/track", """{"userId":"u<FF>","event":"E"}""", "userId")]
    [InlineData("/v1/track", """{"userId":"u1","event":"E","messageId":"<FF>"}""", "messageId")]
    [InlineData("/v1/track", """{"userId":"u1","event":"E","properties":{"note":"caf<FF>"}}""", "properties.note")]
    [InlineData("/v1/track", """{"userId":"u1","event":"E","properties":{"<FF>":1}}""", "properties")]
    [InlineData("/v1/batch", """{"batch":[{"type":"track","userId":"u1","event":"E"},{"type":"identify","userId":"u1","traits":{"name":"<FF><FF>"}}]}""", "batch[1].traits.name")]
    public async Task Invalid_UTF8_anywhere_is_refused_with_400_naming_where_and_never_stored(string path, string json, string where)
    {
        await using var api = await StartAsync(nameof(Invalid_UTF8_anywhere_is_refused_with_400_naming_where_and_never_stored) + where.Replace('[', '_').Replace(']', '_'));

        var answer = await api.PostInvalidUtf8Async(path, json);

        Assert.Equal(400, answer.Status);
        Assert.False(answer.Json.GetProperty("success").GetBoolean());
        Assert.Contains($"{where}: ", answer.Message, StringComparison.Ordinal);
        Assert.Contains("UTF-8", answer.Message, StringComparison.Ordinal);
        Assert.Empty(await api.RowsAsync());
    }

    [Fact]
    public async Task A_batch_with_one_bad_event_is_refused_whole_naming_the_item()
    {
        await using var api = await StartAsync(nameof(A_batch_with_one_bad_event_is_refused_whole_naming_the_item));
        var items = Enumerable.Range(0, 5).Select(i => $$"""{"type":"track","messageId":"m{{i}}","userId":"u1","event":"E"}""").ToList();
        items[3] = """{"type":"track","messageId":"m3","userId":"u1","event":"E","properties":{"\udc00":1}}""";

        var answer = await api.PostAsync("/v1/batch", $$"""{"batch":[{{string.Join(",", items)}}]}""");

        Assert.Equal(400, answer.Status);
        Assert.StartsWith("Invalid event, nothing stored: batch[3].properties: ", answer.Message, StringComparison.Ordinal);
        Assert.Empty(await api.RowsAsync());

        // An event Segment drops silently (here: no userId) still does not refuse the batch.
        items[3] = """{"type":"track","messageId":"m3","event":"E"}""";
        Assert.Equal(200, (await api.PostAsync("/v1/batch", $$"""{"batch":[{{string.Join(",", items)}}]}""")).Status);
        Assert.Equal(["m0", "m1", "m2", "m4"], (await api.RowsAsync()).Select(r => r.Field("messageId")));
    }

    [Fact]
    public async Task Escaped_type_values_and_field_names_dispatch_like_plain_ones()
    {
        await using var api = await StartAsync(nameof(Escaped_type_values_and_field_names_dispatch_like_plain_ones));

        // "\u0074rack" is "track": JSON escapes are decoded before anything is compared.
        var batch = await api.PostAsync("/v1/batch", $$"""
            {"\u0062atch":[
              {"type":"\u0074rack","messageId":"e1","userId":"u1","event":"Escaped Type"},
              {"\u0074ype":"identify","messageId":"e2","\u0075serId":"u1"},
              {"type":"\u0070\u0061\u0067\u0065","messageId":"e3","userId":"u1","\u006eame":"Home"}
            ],"\u0077riteKey":"{{AppKey}}"}
            """, writeKey: null);
        var single = await api.PostAsync("/v1/t", $$"""{"userId":"u1","\u0065vent":"Escaped Field","\u0077riteKey":"{{AppKey}}"}""", writeKey: null);

        Assert.Equal((200, 200), (batch.Status, single.Status));
        var rows = await api.RowsAsync();
        Assert.Equal(
            [("track", "Escaped Type", "app"), ("identify", null, "app"), ("page", "Home", "app"), ("track", "Escaped Field", "app")],
            rows.Select(r => (r.Type, r.Event, r.Source)));
        Assert.Equal("track", rows[0].Field("type"));
    }

    [Theory]
    [InlineData("/v1/track", """{"userId":"u\u0000","event":"E"}""", "userId")]
    [InlineData("/v1/track", """{"anonymousId":"\u0000","event":"E"}""", "anonymousId")]
    [InlineData("/v1/track", """{"userId":"u1","event":"E","messageId":"m\u0000"}""", "messageId")]
    [InlineData("/v1/track", """{"userId":"u1","event":"Order\u0000Completed"}""", "event")]
    [InlineData("/v1/page", """{"userId":"u1","name":"Home\u0000"}""", "name")]
    [InlineData("/v1/group", """{"userId":"u1","groupId":"g\u0000"}""", "groupId")]
    [InlineData("/v1/alias", """{"userId":"u1","previousId":"\u0000a"}""", "previousId")]
    [InlineData("/v1/batch", """{"batch":[{"type":"identify","userId":"u1"},{"type":"track\u0000","userId":"u1","event":"E"}]}""", "batch[1].type")]
    public async Task A_NUL_in_an_identifier_is_refused_with_400_naming_it(string path, string json, string where)
    {
        await using var api = await StartAsync(nameof(A_NUL_in_an_identifier_is_refused_with_400_naming_it) + where.Replace('[', '_').Replace(']', '_'));

        var answer = await api.PostAsync(path, json);

        Assert.Equal(400, answer.Status);
        Assert.Contains($"{where}: must not contain a NUL character", answer.Message, StringComparison.Ordinal);
        Assert.Empty(await api.RowsAsync());
    }

    [Fact]
    public async Task A_NUL_in_a_property_value_or_key_is_stored_as_sent()
    {
        await using var api = await StartAsync(nameof(A_NUL_in_a_property_value_or_key_is_stored_as_sent));

        var answer = await api.PostAsync("/v1/track", """{"userId":"u1","event":"E","properties":{"note":"a\u0000b","k\u0000":1}}""");

        Assert.Equal(200, answer.Status);
        var properties = Assert.Single(await api.RowsAsync()).Payload.GetProperty("properties");
        Assert.Equal("a\0b", properties.GetProperty("note").GetString());
        Assert.Equal(1, properties.GetProperty("k\0").GetInt32());
    }

    [Fact]
    public async Task A_replayed_batch_gets_the_same_event_ids_and_a_call_without_messageId_a_new_one()
    {
        await using var api = await StartAsync(nameof(A_replayed_batch_gets_the_same_event_ids_and_a_call_without_messageId_a_new_one));
        const string Batch = """{"batch":[{"type":"track","userId":"u1","event":"A","messageId":"m1"},{"type":"identify","userId":"u1","messageId":"m2"}]}""";

        await api.PostAsync("/v1/batch", Batch);
        await api.PostAsync("/v1/batch", Batch);
        await api.PostAsync("/v1/track", """{"userId":"u1","event":"No id"}""");
        await api.PostAsync("/v1/track", """{"userId":"u1","event":"No id"}""");

        // The same messageId from another source is another event.
        await api.PostAsync("/v1/track", """{"userId":"u1","event":"A","messageId":"m1"}""", AppKey);

        var ids = (await api.RowsAsync()).Select(r => r.EventId).ToList();
        Assert.Equal(7, ids.Count);
        Assert.Equal(ids[0..2], ids[2..4]);
        Assert.NotEqual(ids[0], ids[1]);
        Assert.NotEqual(ids[4], ids[5]);
        Assert.NotEqual(ids[0], ids[6]);
        Assert.All(ids, id => Assert.True(id.Version is 8 or 4, $"{id} is not a v4 or v8 UUID"));
    }

    [Fact]
    public async Task A_queue_failure_is_answered_503_with_a_plain_message_and_nothing_else()
    {
        await using var api = await StartAsync(
            nameof(A_queue_failure_is_answered_503_with_a_plain_message_and_nothing_else),
            queueFails: SluiceException.Transient("cannot reach the state database at db.internal:5432: connection refused"));

        var answer = await api.PostAsync("/v1/track", """{"userId":"u1","event":"A","properties":{"secret":"s3cr3t"}}""");
        var metrics = await api.PostAsync("/v1/m", """{"series":[]}""");

        Assert.Equal((503, "Sluice could not store the events right now; retry later"), (answer.Status, answer.Message));
        Assert.Equal(200, metrics.Status);

        // The operator learns why; the sender does not learn where the state database is.
        var line = Assert.Single(api.Log);
        Assert.Contains("cannot reach the state database", line, StringComparison.Ordinal);
        Assert.DoesNotContain(WebKey, line, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", line, StringComparison.Ordinal);
    }

    private static byte[] Gzip(string json)
    {
        using var output = new MemoryStream();
        using (var zip = new GZipStream(output, CompressionLevel.Fastest))
        {
            zip.Write(Encoding.UTF8.GetBytes(json));
        }

        return output.ToArray();
    }
}
