using System.Text.Json;
using Sluice.Core.Errors;
using static Sluice.EndToEnd.Ingest.IngestApiHarness;

namespace Sluice.EndToEnd.Ingest;

/// <summary><c>POST /v1/events</c>: Sluice's canonical envelope, validated field by field, all or nothing, ids returned.</summary>
public sealed class EnvelopeApiTests
{
    [Fact]
    public async Task One_event_is_stored_normalised_and_its_id_returned()
    {
        await using var api = await StartAsync(nameof(One_event_is_stored_normalised_and_its_id_returned));

        var answer = await api.PostAsync("/v1/events", """
            {"eventType":"invoice.paid","occurredAt":"2026-05-01T13:30:00+02:00","source":"billing","customerExternalId":"c-42",
             "correlationId":"req-1","payload":{"amount":42.5,"currency":"EUR"},"metadata":{"schema":3}}
            """);

        Assert.Equal(200, answer.Status);
        Assert.True(answer.Json.GetProperty("success").GetBoolean());
        var eventId = Guid.Parse(Assert.Single(answer.Json.GetProperty("events").EnumerateArray()).GetProperty("eventId").GetString()!);
        var row = Assert.Single(await api.RowsAsync());
        Assert.Equal((eventId, "web", "envelope", "invoice.paid", "invoice.paid"), (row.EventId, row.Source, row.Kind, row.Type, row.Event));
        Assert.Equal(eventId.ToString(), row.Field("eventId"));
        Assert.Equal("2026-05-01T11:30:00Z", row.Field("occurredAt"));
        Assert.Equal("2026-05-01T12:00:00Z", row.Field("receivedAt"));
        Assert.Equal(("billing", "c-42", "req-1"), (row.Field("source"), row.Field("customerExternalId"), row.Field("correlationId")));
        Assert.Equal(42.5, row.Payload.GetProperty("payload").GetProperty("amount").GetDouble());
        Assert.Equal(3, row.Payload.GetProperty("metadata").GetProperty("schema").GetInt32());
    }

    [Fact]
    public async Task A_batch_is_stored_in_order_and_occurredAt_defaults_to_the_received_time()
    {
        await using var api = await StartAsync(nameof(A_batch_is_stored_in_order_and_occurredAt_defaults_to_the_received_time));

        var answer = await api.PostAsync("/v1/events", $$"""
            {"writeKey":"{{AppKey}}","events":[{"eventType":"a"},{"eventType":"b","payload":null},{"eventType":"\"; DROP TABLE users; --"}]}
            """, writeKey: null);

        Assert.Equal(200, answer.Status);
        var ids = answer.Json.GetProperty("events").EnumerateArray().Select(e => Guid.Parse(e.GetProperty("eventId").GetString()!)).ToList();
        var rows = await api.RowsAsync();
        Assert.Equal(ids, rows.Select(r => r.EventId));
        Assert.Equal(["a", "b", "\"; DROP TABLE users; --"], rows.Select(r => r.Type));
        Assert.All(rows, r => Assert.Equal(("app", "2026-05-01T12:00:00Z", "{}"), (r.Source, r.Field("occurredAt"), r.Field("payload"))));
    }

    [Fact]
    public async Task Every_invalid_field_is_listed_with_its_index_and_path_and_nothing_is_stored()
    {
        await using var api = await StartAsync(nameof(Every_invalid_field_is_listed_with_its_index_and_path_and_nothing_is_stored));

        var answer = await api.PostAsync("/v1/events", """
            {"events":[
              {"eventType":"ok"},
              {"occurredAt":"2026-05-01T12:00:00Z"},
              {"eventType":"x","occurredAt":"yesterday","payload":[1],"metadata":"m"},
              {"eventType":7,"idempotencyKey":"","occuredAt":"2026-05-01T12:00:00Z"},
              "not an object",
              {"eventType":"x","occurredAt":"2026-05-01T12:00:00","customerExternalId":12},
              {"eventType":"nul\u0000byte"}
            ]}
            """);

        Assert.Equal(400, answer.Status);
        Assert.False(answer.Json.GetProperty("success").GetBoolean());
        var errors = answer.Json.GetProperty("errors").EnumerateArray().Select(e => (e.GetProperty("index").GetInt32(), e.GetProperty("path").GetString()!)).ToList();
        Assert.Equal(
            [
                (1, "events[1].eventType"),
                (2, "events[2].occurredAt"),
                (2, "events[2].payload"),
                (2, "events[2].metadata"),
                (3, "events[3].occuredAt"),
                (3, "events[3].eventType"),
                (3, "events[3].idempotencyKey"),
                (4, "events[4]"),
                (5, "events[5].occurredAt"),
                (5, "events[5].customerExternalId"),
                (6, "events[6].eventType"),
            ],
            errors);
        Assert.Contains("events[2].occurredAt: not an ISO-8601 timestamp", answer.Message, StringComparison.Ordinal);
        Assert.Empty(await api.RowsAsync());
    }

    [Theory]
    [InlineData("""{"events":[{"eventType":"ok"},{"eventType":"\udc00"}]}""", 1, "events[1].eventType", "surrogate")]
    [InlineData("""{"events":[{"eventType":"ok","payload":{"\ud800":1}}]}""", 0, "events[0].payload", "surrogate")]
    [InlineData("""{"eventType":"ok","metadata":{"trace":["a","\udfff"]}}""", 0, "metadata.trace[1]", "surrogate")]
    [InlineData("""{"events":[{"eventType":"ok"},{"eventType":"ok"},{"eventType":"<FF>"}]}""", 2, "events[2].eventType", "UTF-8")]
    [InlineData("""{"events":[{"eventType":"ok","payload":{"note":"caf<FF>"}}]}""", 0, "events[0].payload.note", "UTF-8")]
    [InlineData("""{"eventType":"ok","payload":{"<FF>":"x"}}""", 0, "payload", "UTF-8")]
    [InlineData("""{"writeKey":"\udc00","events":[{"eventType":"ok"}]}""", null, "writeKey", "surrogate")]
    public async Task Invalid_text_anywhere_is_refused_with_400_naming_where_and_nothing_is_stored(string json, int? index, string where, string problem)
    {
        await using var api = await StartAsync(nameof(Invalid_text_anywhere_is_refused_with_400_naming_where_and_nothing_is_stored));

        var answer = await api.PostInvalidUtf8Async("/v1/events", json);

        Assert.Equal(400, answer.Status);
        Assert.False(answer.Json.GetProperty("success").GetBoolean());
        var error = Assert.Single(answer.Json.GetProperty("errors").EnumerateArray());
        Assert.Equal(where, error.GetProperty("path").GetString());
        Assert.Equal(index, error.TryGetProperty("index", out var i) ? i.GetInt32() : null);
        Assert.Contains(problem, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains($"{where}: ", answer.Message, StringComparison.Ordinal);
        Assert.Empty(await api.RowsAsync());
    }

    [Fact]
    public async Task Escaped_field_names_are_the_fields_they_spell()
    {
        await using var api = await StartAsync(nameof(Escaped_field_names_are_the_fields_they_spell));

        var answer = await api.PostAsync("/v1/events", $$$"""
            {"\u0077riteKey":"{{{AppKey}}}","\u0065vents":[{"\u0065ventType":"invoice.\u0070aid","\u0070ayload":{"n":1}}]}
            """, writeKey: null);

        Assert.Equal(200, answer.Status);
        var row = Assert.Single(await api.RowsAsync());
        Assert.Equal(("app", "invoice.paid"), (row.Source, row.Type));
        Assert.Equal(1, row.Payload.GetProperty("payload").GetProperty("n").GetInt32());
    }

    [Fact]
    public async Task A_single_event_error_names_the_field_without_an_events_prefix()
    {
        await using var api = await StartAsync(nameof(A_single_event_error_names_the_field_without_an_events_prefix));

        var answer = await api.PostAsync("/v1/events", """{"payload":{}}""");

        Assert.Equal(400, answer.Status);
        var error = Assert.Single(answer.Json.GetProperty("errors").EnumerateArray());
        Assert.Equal("eventType", error.GetProperty("path").GetString());
        Assert.Equal(0, error.GetProperty("index").GetInt32());
    }

    [Fact]
    public async Task The_same_idempotencyKey_gives_the_same_event_id_on_replay()
    {
        await using var api = await StartAsync(nameof(The_same_idempotencyKey_gives_the_same_event_id_on_replay));
        const string Keyed = """{"eventType":"invoice.paid","idempotencyKey":"inv-1001"}""";
        const string Unkeyed = """{"eventType":"invoice.paid"}""";

        var first = await api.PostAsync("/v1/events", Keyed);
        var replay = await api.PostAsync("/v1/events", Keyed);
        var otherSource = await api.PostAsync("/v1/events", Keyed, AppKey);
        var unkeyed1 = await api.PostAsync("/v1/events", Unkeyed);
        var unkeyed2 = await api.PostAsync("/v1/events", Unkeyed);

        static string Id(Answer a) => a.Json.GetProperty("events")[0].GetProperty("eventId").GetString()!;
        Assert.Equal(Id(first), Id(replay));
        Assert.NotEqual(Id(first), Id(otherSource));
        Assert.NotEqual(Id(unkeyed1), Id(unkeyed2));
        Assert.Equal(8, Guid.Parse(Id(first)).Version);
        Assert.Equal([Id(first), Id(replay)], (await api.RowsAsync()).Take(2).Select(r => r.EventId.ToString()));
    }

    [Theory]
    [InlineData("not-a-key")]
    [InlineData(null)]
    public async Task An_unknown_or_missing_write_key_gets_401_before_any_validation(string? writeKey)
    {
        await using var api = await StartAsync(nameof(An_unknown_or_missing_write_key_gets_401_before_any_validation) + (writeKey ?? "none"));

        var answer = await api.PostAsync("/v1/events", """{"nothing":"valid"}""", writeKey);

        Assert.Equal(401, answer.Status);
        Assert.Equal("An invalid write key was provided", answer.Message);
        Assert.False(answer.Json.TryGetProperty("errors", out _));
    }

    [Fact]
    public async Task Malformed_JSON_and_an_oversize_batch_are_refused_with_400()
    {
        await using var api = await StartAsync(nameof(Malformed_JSON_and_an_oversize_batch_are_refused_with_400));
        var big = JsonSerializer.Serialize(new { events = Enumerable.Range(0, 60).Select(i => new { eventType = "e", payload = new { blob = new string('a', 10_000) } }) });

        var malformed = await api.PostAsync("/v1/events", """{"eventType":""");
        var oversize = await api.PostAsync("/v1/events", big);

        Assert.Equal(400, malformed.Status);
        Assert.StartsWith("Invalid JSON", malformed.Message, StringComparison.Ordinal);
        Assert.Equal(400, oversize.Status);
        Assert.StartsWith("Exceed payload limit", oversize.Message, StringComparison.Ordinal);
        Assert.Empty(await api.RowsAsync());
    }

    [Fact]
    public async Task A_queue_failure_is_answered_503()
    {
        await using var api = await StartAsync(nameof(A_queue_failure_is_answered_503), queueFails: SluiceException.Transient("the ingest queue is busy"));

        var answer = await api.PostAsync("/v1/events", """{"eventType":"a"}""");

        Assert.Equal((503, "Sluice could not store the events right now; retry later"), (answer.Status, answer.Message));
        Assert.Contains("the ingest queue is busy", Assert.Single(api.Log), StringComparison.Ordinal);
    }
}
