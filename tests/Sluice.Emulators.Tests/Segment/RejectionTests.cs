using System.Net;
using System.Text;

namespace Sluice.Emulators.Tests.Segment;

/// <summary>Segment answers 400 only for JSON errors, over-size payloads and bad write keys (http-api "Errors").</summary>
public sealed class RejectionTests
{
    [Fact]
    public async Task Invalid_JSON_is_a_400_with_a_message_and_records_nothing()
    {
        await using var harness = await EmulatorHarness.StartAsync();

        using var truncated = await harness.PostAsync("v1/batch", """{"batch":[{"type":"identify","userId":"u1"}""");
        using var notObject = await harness.PostAsync("v1/identify", """["userId"]""");
        using var noBatch = await harness.PostAsync("v1/batch", """{"events":[]}""");

        await EmulatorHarness.AssertRejectedAsync(truncated, "Invalid JSON");
        await EmulatorHarness.AssertRejectedAsync(notObject, "Invalid JSON");
        await EmulatorHarness.AssertRejectedAsync(noBatch, "batch");
        Assert.Equal(3, harness.Emulator.Stats.RejectedRequests);
        Assert.Equal(0, harness.Emulator.Stats.Events);
    }

    [Fact]
    public async Task A_string_that_is_not_text_is_a_400_naming_where_and_records_nothing()
    {
        await using var harness = await EmulatorHarness.StartAsync();

        using var surrogate = await harness.PostAsync("v1/batch", """{"batch":[{"type":"track","userId":"u1","event":"\udc00"}]}""");
        using var invalidUtf8 = new HttpRequestMessage(HttpMethod.Post, "v1/track")
        {
            Content = new ByteArrayContent([.. "{\"userId\":\"u1\",\"event\":\"E\",\"properties\":{\"k\":\""u8, 0xFF, .. "\"}}"u8]),
        };
        invalidUtf8.Headers.Authorization = EmulatorHarness.Basic(EmulatorHarness.WriteKey);
        using var utf8 = await harness.Http.SendAsync(invalidUtf8);

        await EmulatorHarness.AssertRejectedAsync(surrogate, "batch[0].event: holds the lone surrogate escape \\udc00");
        await EmulatorHarness.AssertRejectedAsync(utf8, "properties.k: is not valid UTF-8");
        Assert.Equal(0, harness.Emulator.Stats.Events);
    }

    [Fact]
    public async Task An_escaped_type_is_the_type_it_spells()
    {
        await using var harness = await EmulatorHarness.StartAsync();

        using var response = await harness.PostAsync("v1/batch", """{"batch":[{"type":"\u0074rack","userId":"u1","event":"Escaped"}]}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("track", EmulatorHarness.Parse(Assert.Single(harness.Emulator.Messages()))["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_single_event_over_32_KB_is_rejected_with_Exceed_payload_limit()
    {
        await using var harness = await EmulatorHarness.StartAsync();
        var big = "{\"userId\":\"u1\",\"traits\":{\"blob\":\"" + new string('a', 33 * 1024) + "\"}}";

        using var response = await harness.PostAsync("v1/identify", big);

        await EmulatorHarness.AssertRejectedAsync(response, "Exceed payload limit");
        Assert.Empty(harness.Emulator.Messages());
    }

    [Fact]
    public async Task A_batch_item_over_32_KB_rejects_the_whole_batch()
    {
        await using var harness = await EmulatorHarness.StartAsync();
        var body = EmulatorHarness.Batch(
            new { type = "identify", messageId = "small", userId = "u1" },
            new { type = "identify", messageId = "big", userId = "u1", traits = new { blob = new string('a', 33 * 1024) } });

        using var response = await harness.PostAsync("v1/batch", body);

        await EmulatorHarness.AssertRejectedAsync(response, "Exceed payload limit");
        Assert.Empty(harness.Emulator.Messages());
        Assert.Equal(0, harness.Emulator.Stats.Events);
    }

    [Fact]
    public async Task A_batch_over_500_KB_is_rejected_and_the_connection_stays_usable()
    {
        await using var harness = await EmulatorHarness.StartAsync();
        var events = Enumerable.Range(0, 60).Select(i => (object)new { type = "identify", userId = $"u{i}", traits = new { blob = new string('a', 10_000) } }).ToArray();
        var body = EmulatorHarness.Batch(events);
        Assert.True(Encoding.UTF8.GetByteCount(body) > 500 * 1024);

        using var response = await harness.PostAsync("v1/batch", body);
        using var next = await harness.PostAsync("v1/identify", """{"userId":"u1"}""");

        await EmulatorHarness.AssertRejectedAsync(response, "Exceed payload limit");
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Equal(1, harness.Emulator.Stats.Unique);
    }

    [Fact]
    public async Task A_batch_just_under_500_KB_is_accepted()
    {
        await using var harness = await EmulatorHarness.StartAsync();
        var events = Enumerable.Range(0, 50).Select(i => (object)new { type = "identify", userId = $"u{i}", traits = new { blob = new string('a', 10_000) } }).ToArray();

        using var response = await harness.PostAsync("v1/batch", EmulatorHarness.Batch(events));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(50, harness.Emulator.Stats.Unique);
    }

    [Fact]
    public async Task A_missing_or_empty_write_key_is_rejected_with_Segments_message()
    {
        await using var harness = await EmulatorHarness.StartAsync();

        using var missing = await harness.PostAsync("v1/batch", """{"batch":[{"type":"identify","userId":"u1"}]}""", writeKey: null);
        using var empty = await harness.PostAsync("v1/batch", """{"batch":[{"type":"identify","userId":"u1"}]}""", writeKey: "");
        using var emptyInBody = await harness.PostAsync("v1/track", """{"userId":"u1","event":"E","writeKey":""}""", writeKey: null);

        await EmulatorHarness.AssertRejectedAsync(missing, "An invalid write key was provided");
        await EmulatorHarness.AssertRejectedAsync(empty, "An invalid write key was provided");
        await EmulatorHarness.AssertRejectedAsync(emptyInBody, "An invalid write key was provided");
        Assert.Equal(0, harness.Emulator.Stats.Events);
    }

    [Fact]
    public async Task Corrupt_gzip_is_a_400()
    {
        await using var harness = await EmulatorHarness.StartAsync();
        var content = new ByteArrayContent([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        content.Headers.ContentEncoding.Add("gzip");
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/batch") { Content = content };
        request.Headers.Authorization = EmulatorHarness.Basic("k");

        using var response = await harness.Http.SendAsync(request);

        await EmulatorHarness.AssertRejectedAsync(response, "gzip");
    }

    [Fact]
    public async Task Unknown_paths_and_methods_are_refused()
    {
        await using var harness = await EmulatorHarness.StartAsync();

        using var unknown = await harness.PostAsync("v1/nope", "{}");
        using var get = await harness.Http.GetAsync(new Uri("v1/batch", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);
    }
}
