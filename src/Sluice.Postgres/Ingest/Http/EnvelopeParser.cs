using System.Runtime.InteropServices;
using System.Text.Json;
using Sluice.Segment.Protocol;

namespace Sluice.Postgres.Ingest.Http;

/// <summary>
/// Validates the canonical envelope of <c>POST /v1/events</c>, one event (<c>{"eventType":…}</c>) or a batch
/// (<c>{"events":[…]}</c>). Every problem is reported, each with its path, so a sender fixes them all at once.
/// </summary>
internal static class EnvelopeParser
{
    /// <summary>The longest text field (event type, ids) accepted.</summary>
    public const int MaxTextLength = 1_024;

    private const string EventsField = "events";
    private const string WriteKeyField = "writeKey";

    private static readonly string[] KnownFields =
        ["eventType", "occurredAt", "source", "customerExternalId", "idempotencyKey", "correlationId", "payload", "metadata"];

    /// <summary>The request's events, or the errors that refuse the whole request (nothing is stored then).</summary>
    public static (List<EnvelopeEvent> Events, List<EnvelopeError> Errors) Parse(JsonElement root)
    {
        var events = new List<EnvelopeEvent>();
        var errors = new List<EnvelopeError>();
        if (root.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new EnvelopeError(null, "$", "the body must be a JSON object: one event, or {\"events\":[…]}"));
            return (events, errors);
        }

        if (!root.TryGetProperty(EventsField, out var list))
        {
            ReadEvent(root, 0, "", events, errors);
            return (events, errors);
        }

        foreach (var field in root.EnumerateObject())
        {
            if (field.Name is not EventsField and not WriteKeyField)
            {
                errors.Add(new EnvelopeError(null, field.Name, "unknown field; a batch is {\"events\":[…]} (and optionally \"writeKey\")"));
            }
        }

        if (list.ValueKind != JsonValueKind.Array)
        {
            errors.Add(new EnvelopeError(null, EventsField, "must be an array of events"));
            return (events, errors);
        }

        var count = list.GetArrayLength();
        if (count == 0)
        {
            errors.Add(new EnvelopeError(null, EventsField, "must hold at least one event"));
        }
        else if (count > SegmentLimits.MaxEventsPerBatch)
        {
            errors.Add(new EnvelopeError(null, EventsField, $"holds {count} events; send at most {SegmentLimits.MaxEventsPerBatch} per request"));
            return (events, errors);
        }

        var index = 0;
        foreach (var item in list.EnumerateArray())
        {
            ReadEvent(item, index, $"events[{index}].", events, errors);
            index++;
        }

        return (events, errors);
    }

    private static void ReadEvent(JsonElement item, int index, string prefix, List<EnvelopeEvent> events, List<EnvelopeError> errors)
    {
        var before = errors.Count;
        void Fail(string field, string message) => errors.Add(new EnvelopeError(index, prefix + field, message));

        if (item.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new EnvelopeError(index, prefix.TrimEnd('.'), "must be a JSON object"));
            return;
        }

        // Same per-event limit as a Segment call (32 KB).
        if (JsonMarshal.GetRawUtf8Value(item).Length > SegmentLimits.MaxEventBytes)
        {
            errors.Add(new EnvelopeError(index, prefix.Length == 0 ? "$" : prefix.TrimEnd('.'), $"{SegmentAnswers.ExceedPayloadLimit}: an event may be at most 32 KB"));
            return;
        }

        foreach (var field in item.EnumerateObject())
        {
            var topLevelWriteKey = prefix.Length == 0 && field.Name == WriteKeyField;
            if (!topLevelWriteKey && Array.IndexOf(KnownFields, field.Name) < 0)
            {
                Fail(field.Name, $"unknown field; an event has {string.Join(", ", KnownFields)}");
            }
        }

        var beforeType = errors.Count;
        var eventType = Text(item, "eventType", Fail);
        if (eventType is null && errors.Count == beforeType)
        {
            Fail("eventType", "required: name what happened, e.g. \"invoice.paid\"");
        }
        else if (eventType is not null && string.IsNullOrWhiteSpace(eventType))
        {
            Fail("eventType", "must not be empty");
        }

        DateTimeOffset? occurredAt = null;
        if (Present(item, "occurredAt", out var time))
        {
            if (time.ValueKind == JsonValueKind.String && HasZone(time.GetString()!) && time.TryGetDateTimeOffset(out var parsed))
            {
                occurredAt = parsed;
            }
            else
            {
                Fail("occurredAt", "not an ISO-8601 timestamp with a time zone, e.g. \"2026-05-01T12:30:00Z\"");
            }
        }

        var source = Text(item, "source", Fail);
        var customer = Text(item, "customerExternalId", Fail);
        var idempotencyKey = Text(item, "idempotencyKey", Fail);
        if (idempotencyKey is { Length: 0 })
        {
            Fail("idempotencyKey", "must not be empty; leave it out for an event that needs no deduplication");
        }

        var correlation = Text(item, "correlationId", Fail);
        var payload = Object(item, "payload", Fail);
        var metadata = Object(item, "metadata", Fail);
        if (errors.Count == before)
        {
            events.Add(new EnvelopeEvent(eventType!, occurredAt, source, customer, idempotencyKey, correlation, payload, metadata));
        }
    }

    /// <summary>A field that is there and not <c>null</c> (null counts as absent).</summary>
    private static bool Present(JsonElement item, string name, out JsonElement value) =>
        item.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;

    private static string? Text(JsonElement item, string name, Action<string, string> fail)
    {
        if (!Present(item, name, out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            fail(name, $"must be a string, not {Describe(value.ValueKind)}");
            return null;
        }

        var text = value.GetString()!;
        if (text.Length > MaxTextLength)
        {
            fail(name, $"is {text.Length} characters long; at most {MaxTextLength} are accepted");
            return null;
        }

        // Stored in a PostgreSQL text column, which cannot hold NUL.
        if (text.Contains('\0', StringComparison.Ordinal))
        {
            fail(name, "must not contain a NUL character (\\u0000)");
            return null;
        }

        return text;
    }

    private static JsonElement? Object(JsonElement item, string name, Action<string, string> fail)
    {
        if (!Present(item, name, out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            fail(name, $"must be a JSON object, not {Describe(value.ValueKind)}");
            return null;
        }

        return value;
    }

    /// <summary>
    /// Whether an ISO-8601 date-time (the strict profile <see cref="JsonElement.TryGetDateTimeOffset"/> reads) names its
    /// zone (<c>Z</c> or an offset): without one the instant is ambiguous, and guessing the server's zone would file
    /// events hours off.
    /// </summary>
    private static bool HasZone(string text)
    {
        var t = text.IndexOf('T', StringComparison.OrdinalIgnoreCase);
        if (t < 0)
        {
            return false;
        }

        var clock = text.AsSpan(t + 1);
        return clock.EndsWith("Z", StringComparison.OrdinalIgnoreCase) || clock.IndexOfAny('+', '-') > 0;
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}
