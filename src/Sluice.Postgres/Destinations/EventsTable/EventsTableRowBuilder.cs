using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Sluice.Core.Errors;
using Sluice.Core.Mapping;
using Sluice.Core.Records;
using Sluice.Segment.Protocol;
using Sluice.State.Ingest;

namespace Sluice.Postgres.Destinations;

/// <summary>
/// Makes the row of one ingested event (read through the ingest source's columns). The two kinds of event map so:
/// <list type="table">
/// <item><term>column</term><description>envelope (<c>POST /v1/events</c>) | Segment call</description></item>
/// <item><term>event_type</term><description><c>eventType</c> | a track's <c>event</c>, else the call type (<c>identify</c>, <c>page</c>, …)</description></item>
/// <item><term>occurred_at</term><description><c>occurredAt</c> | <c>timestamp</c> (else <c>originalTimestamp</c>); absent: <c>received_at</c></description></item>
/// <item><term>customer_external_id</term><description><c>customerExternalId</c> | <c>userId</c>, else <c>anonymousId</c></description></item>
/// <item><term>source</term><description><c>source</c>, else the ingest source's name | the ingest source's name</description></item>
/// <item><term>payload</term><description><c>payload</c> | <c>properties</c> (track, page, screen) or <c>traits</c> (identify, group); <c>{}</c> when absent</description></item>
/// <item><term>metadata</term><description><c>metadata</c> with <c>correlationId</c> and <c>idempotencyKey</c> added |
/// the whole call except <c>properties</c>/<c>traits</c> (<c>messageId</c>, <c>type</c>, <c>context</c>, <c>anonymousId</c>, …)</description></item>
/// </list>
/// Nothing of an event is lost: what has no column of its own is in <c>metadata</c>.
/// </summary>
internal static class EventsTableRowBuilder
{
    /// <summary>The ingest source's columns, which the destination reads besides any mapping.</summary>
    public static readonly IReadOnlyList<string> Columns = ["event_id", "source", "kind", "type", "event", "received_at", "payload"];

    /// <summary>UTF-8 that refuses a lone surrogate rather than replacing it: the payload must stay as sent.</summary>
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);


    /// <summary>Throws a <see cref="ErrorClass.RecordRejected"/> <see cref="SluiceException"/> for an event no row can be made of.</summary>
    public static EventsTableRow Build(Change change, Ordinals ordinals)
    {
        var values = change.Values;
        var eventId = values[ordinals.EventId] switch
        {
            Guid guid => guid,
            string text when Guid.TryParse(text, out var parsed) => parsed,
            var other => throw Rejected($"event_id '{other}' is not a uuid"),
        };
        var ingestSource = values[ordinals.Source] as string ?? throw Rejected("the event has no source");
        var receivedAt = values[ordinals.ReceivedAt] switch
        {
            DateTime time => new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc)),
            DateTimeOffset time => time,
            _ => throw Rejected("the event has no received_at"),
        };

        var kind = values[ordinals.Kind] as string;
        var type = values[ordinals.Type] as string;
        var name = values[ordinals.Event] as string;
        var row = kind == IngestEventKind.Segment
            ? Segment(values[ordinals.Payload], eventId, ingestSource, type, name, receivedAt)
            : FromDocument(values[ordinals.Payload], kind, eventId, ingestSource, type, receivedAt);

        // jsonb refuses \u0000 (PostgreSQL: "unsupported Unicode escape sequence"). Refused here, with the reason, rather
        // than after a failed INSERT that the engine would have to bisect: the event is kept as sent in the dead letter.
        if (HoldsNulEscape(row.Payload) || HoldsNulEscape(row.Metadata))
        {
            throw Rejected("the event holds a NUL character (\\u0000) in a string, which a jsonb column cannot store; " +
                "the event is kept here as sent. The warehouse layout stores it (NUL as U+FFFD, the string as sent in discards); " +
                "or drop the NUL at the client");
        }

        return row;
    }

    /// <summary>An event other than a Segment call (an envelope, or a kind no row is made of), read as a document.</summary>
    private static EventsTableRow FromDocument(object? payload, string? kind, Guid eventId, string ingestSource, string? type, DateTimeOffset receivedAt)
    {
        using var document = ParsePayload(payload);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw Rejected($"the event is JSON {root.ValueKind.ToString().ToLowerInvariant()}, not an object");
        }

        return kind switch
        {
            IngestEventKind.Envelope => Envelope(root, eventId, ingestSource, type, receivedAt),
            _ => throw Rejected($"unknown event kind '{kind}' (expected '{IngestEventKind.Envelope}' or '{IngestEventKind.Segment}')"),
        };
    }

    /// <summary>Whether JSON text (UTF-8) holds the escape <c>\u0000</c> (not an escaped backslash followed by <c>u0000</c>).</summary>
    internal static bool HoldsNulEscape(ReadOnlySpan<byte> json)
    {
        for (var at = json.IndexOf("u0000"u8); at > 0; at = NextAt(json, at))
        {
            var backslashes = 0;
            while (at - backslashes - 1 >= 0 && json[at - backslashes - 1] == (byte)'\\')
            {
                backslashes++;
            }

            if (backslashes % 2 == 1)
            {
                return true;
            }
        }

        return false;

        static int NextAt(ReadOnlySpan<byte> json, int at) => json[(at + 1)..].IndexOf("u0000"u8) is >= 0 and var next ? at + 1 + next : -1;
    }

    private static EventsTableRow Envelope(JsonElement root, Guid eventId, string ingestSource, string? type, DateTimeOffset receivedAt)
    {
        var eventType = Text(root, "eventType") ?? type ?? throw Rejected("the envelope has no eventType");
        var metadata = root.TryGetProperty("metadata", out var given) ? given : default;
        if (metadata.ValueKind is not (JsonValueKind.Object or JsonValueKind.Undefined or JsonValueKind.Null))
        {
            throw Rejected($"the envelope's metadata is JSON {metadata.ValueKind.ToString().ToLowerInvariant()}, not an object");
        }

        // correlationId and idempotencyKey have no column of their own (P2 lists the columns): they join metadata,
        // where they win over same-named members, being the envelope's own fields.
        var added = new List<(string Name, JsonElement Value)>(2);
        foreach (var field in new[] { "correlationId", "idempotencyKey" })
        {
            if (root.TryGetProperty(field, out var value) && value.ValueKind != JsonValueKind.Null)
            {
                added.Add((field, value));
            }
        }

        return new EventsTableRow(
            eventId,
            eventType,
            Timestamp(root, "occurredAt") ?? receivedAt,
            Identifier(root, "customerExternalId"),
            Text(root, "source") ?? ingestSource,
            JsonOrEmpty(root, "payload"),
            WriteObject(metadata, skip: added.Select(a => a.Name).ToHashSet(StringComparer.Ordinal), added),
            receivedAt);
    }

    /// <summary>
    /// A Segment call's row, read in one pass over its UTF-8 text (<see cref="SegmentCallScan"/>): this runs once per
    /// landed event, and a document of every call cost about half of building its row.
    /// </summary>
    private static EventsTableRow Segment(object? payload, Guid eventId, string ingestSource, string? type, string? name, DateTimeOffset receivedAt)
    {
        byte[]? rented = null;
        try
        {
            var json = Utf8Of(payload, ref rented);
            SegmentCallScan call;
            string? rootKind;
            try
            {
                if (!SegmentCallScan.TryRead(json, out call, out rootKind))
                {
                    throw Rejected($"the event is JSON {rootKind}, not an object");
                }
            }
            catch (JsonException e)
            {
                throw Rejected($"the event's payload is not valid JSON: {e.Message}");
            }

            type = TextOf(SegmentCallScan.Raw(json, call.Type), "type") ?? type ?? throw Rejected("the Segment call has no type");
            var eventType = type == "track" ? TextOf(SegmentCallScan.Raw(json, call.Event), "event") ?? name ?? type : type;
            // The type decides exactly as sent (letter case included), whether it came from the JSON or the queue's column;
            // as SegmentMessage.PayloadNameAs: identify and group carry traits, alias nothing, the others properties
            // (traits when a call has only those).
            SegmentEventType? kind = SegmentEventTypes.TryParse(type, out var parsed) ? parsed : null;
            var payloadMember = kind switch
            {
                SegmentEventType.Identify or SegmentEventType.Group => call.Traits,
                SegmentEventType.Alias => default,
                _ when SegmentCallScan.Has(call.Properties) => call.Properties,
                _ when SegmentCallScan.Has(call.Traits) => call.Traits,
                _ => call.Properties,
            };

            return new EventsTableRow(
                eventId,
                eventType,
                TimeOf(SegmentCallScan.Raw(json, call.Timestamp), "timestamp") ?? TimeOf(SegmentCallScan.Raw(json, call.OriginalTimestamp), "originalTimestamp") ?? receivedAt,
                IdentifierOf(SegmentCallScan.Raw(json, call.UserId), "userId") ?? IdentifierOf(SegmentCallScan.Raw(json, call.AnonymousId), "anonymousId"),
                ingestSource,
                JsonOrEmpty(SegmentCallScan.Raw(json, payloadMember)),
                call.Metadata,
                receivedAt);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>The payload as UTF-8 JSON: bytes as they are (less a byte order mark), a string transcoded into a rented buffer.</summary>
    private static ReadOnlySpan<byte> Utf8Of(object? payload, ref byte[]? rented)
    {
        ReadOnlySpan<byte> json;
        switch (payload)
        {
            case string text:
                rented = ArrayPool<byte>.Shared.Rent(StrictUtf8.GetMaxByteCount(text.Length));
                try
                {
                    json = rented.AsSpan(0, StrictUtf8.GetBytes(text, rented));
                }
                catch (EncoderFallbackException)
                {
                    throw Rejected("the event's payload is not valid JSON: it holds a lone UTF-16 surrogate, which is not text");
                }

                break;
            case byte[] bytes:
                json = bytes;
                break;
            case ReadOnlyMemory<byte> bytes:
                json = bytes.Span;
                break;
            case null:
                throw Rejected("the event has no payload");
            default:
                var other = Convert.ToString(payload, CultureInfo.InvariantCulture) ?? "";
                return Utf8Of(other, ref rented);
        }

        return json is [0xEF, 0xBB, 0xBF, ..] ? json[3..] : json;
    }

    private static JsonDocument ParsePayload(object? value)
    {
        try
        {
            return value switch
            {
                string text => JsonDocument.Parse(text),
                byte[] bytes => JsonDocument.Parse(bytes),
                ReadOnlyMemory<byte> bytes => JsonDocument.Parse(bytes),
                null => throw Rejected("the event has no payload"),
                _ => JsonDocument.Parse(Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""),
            };
        }
        catch (JsonException e)
        {
            throw Rejected($"the event's payload is not valid JSON: {e.Message}");
        }
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) ? TextOf(value, name) : null;

    /// <summary>A string field's text, refused when it is not text; null when absent, not a string or empty.</summary>
    private static string? TextOf(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.String && StringOf(value, name) is { Length: > 0 } text ? text : null;

    /// <summary>An id as text: a string, or a number as written (some clients send numeric user ids).</summary>
    private static string? Identifier(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) ? IdentifierOf(value, name) : null;

    /// <summary>An id as <see cref="SegmentMessage"/> reads one, but a string that is not text is refused rather than absent:
    /// the event would otherwise land under no customer.</summary>
    private static string? IdentifierOf(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.Number ? value.GetRawText()
        : value.ValueKind == JsonValueKind.String && StringOf(value, name) is { } text && !string.IsNullOrWhiteSpace(text) ? text
        : null;

    /// <summary>JSON may escape a lone UTF-16 surrogate (<c>"\udc00"</c>), which is not text: System.Text.Json refuses
    /// to read it as a string, and neither a text column nor jsonb can hold it.</summary>
    private static string StringOf(JsonElement value, string name)
    {
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            var raw = value.GetRawText();
            throw Rejected($"{name} holds a lone UTF-16 surrogate ({(raw.Length > 40 ? raw[..40] + "…" : raw)}), which is not text");
        }
    }

    /// <summary><see cref="TextOf(JsonElement, string)"/> of a member's raw JSON (empty: absent).</summary>
    private static string? TextOf(ReadOnlySpan<byte> raw, string name) =>
        raw is [(byte)'"', ..] && StringOf(raw, name) is { Length: > 0 } text ? text : null;

    /// <summary><see cref="IdentifierOf(JsonElement, string)"/> of a member's raw JSON (empty: absent).</summary>
    private static string? IdentifierOf(ReadOnlySpan<byte> raw, string name) =>
        raw is [(byte)'-' or (>= (byte)'0' and <= (byte)'9'), ..] ? Encoding.UTF8.GetString(raw)
        : raw is [(byte)'"', ..] && StringOf(raw, name) is { } text && !string.IsNullOrWhiteSpace(text) ? text
        : null;

    /// <summary>The text of a JSON string (its raw JSON, quotes included), refused when it is not text.</summary>
    private static string StringOf(ReadOnlySpan<byte> raw, string name)
    {
        var reader = new Utf8JsonReader(raw);
        reader.Read();
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            var text = Encoding.UTF8.GetString(raw);
            throw Rejected($"{name} holds a lone UTF-16 surrogate ({(text.Length > 40 ? text[..40] + "…" : text)}), which is not text");
        }
    }

    /// <summary><see cref="TimeOf(JsonElement, string)"/> of a member's raw JSON (empty: absent).</summary>
    private static DateTimeOffset? TimeOf(ReadOnlySpan<byte> raw, string name)
    {
        if (raw is not [(byte)'"', ..])
        {
            return null;
        }

        // The common case, ISO 8601 in UTC (what the ingest API writes): read from the bytes, without a string.
        var reader = new Utf8JsonReader(raw);
        reader.Read();
        if (raw is [.., (byte)'Z', (byte)'"'] && reader.TryGetDateTimeOffset(out var utc))
        {
            return utc;
        }

        return TextOf(raw, name) is { } text ? ParseTime(text, name) : null;
    }

    private static DateTimeOffset? Timestamp(JsonElement root, string name) =>
        TimeOf(root.TryGetProperty(name, out var element) ? element : default, name);

    private static DateTimeOffset? TimeOf(JsonElement element, string name)
    {
        // The common case, ISO 8601 in UTC (what the ingest API writes): read from the bytes, without a string.
        if (element.ValueKind == JsonValueKind.String
            && JsonMarshal.GetRawUtf8Value(element) is [.., (byte)'Z', (byte)'"'] && element.TryGetDateTimeOffset(out var utc))
        {
            return utc;
        }

        return TextOf(element, name) is { } text ? ParseTime(text, name) : null;
    }

    private static DateTimeOffset ParseTime(string text, string name) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value)
            ? value
            : throw Rejected($"{name} '{(text.Length > 40 ? text[..40] + "…" : text)}' is not a timestamp (ISO 8601, e.g. 2024-05-01T12:00:00Z)");

    private static byte[] JsonOrEmpty(JsonElement root, string name) =>
        JsonOrEmpty(root.TryGetProperty(name, out var value) ? value : default);

    private static byte[] JsonOrEmpty(JsonElement value) =>
        value.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined) ? JsonMarshal.GetRawUtf8Value(value).ToArray() : "{}"u8.ToArray();

    /// <summary>A member's raw JSON as bytes of their own; <c>{}</c> when absent or null.</summary>
    private static byte[] JsonOrEmpty(ReadOnlySpan<byte> raw) =>
        raw.IsEmpty || raw.SequenceEqual("null"u8) ? "{}"u8.ToArray() : raw.ToArray();

    /// <summary>The members of <paramref name="source"/> (an object, or nothing) except <paramref name="skip"/>, then <paramref name="added"/>.</summary>
    private static byte[] WriteObject(JsonElement source, HashSet<string> skip, List<(string Name, JsonElement Value)> added)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (source.ValueKind == JsonValueKind.Object)
            {
                foreach (var member in source.EnumerateObject())
                {
                    if (!skip.Contains(member.Name))
                    {
                        // The value's bytes as they are (the payload is valid JSON): re-serialising them element by
                        // element cost more than the rest of the row.
                        writer.WritePropertyName(member.Name);
                        writer.WriteRawValue(JsonMarshal.GetRawUtf8Value(member.Value), skipInputValidation: true);
                    }
                }
            }

            foreach (var (name, value) in added)
            {
                writer.WritePropertyName(name);
                writer.WriteRawValue(JsonMarshal.GetRawUtf8Value(value), skipInputValidation: true);
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static SluiceException Rejected(string message) => new(ErrorClass.RecordRejected, message);

    /// <summary>Where each ingest column is in <c>Change.Values</c>, for one compiled mapping.</summary>
    internal sealed record Ordinals(CompiledMapping Mapping, int EventId, int Source, int Kind, int Type, int Event, int ReceivedAt, int Payload)
    {
        public static Ordinals Of(CompiledMapping mapping)
        {
            int Find(string column) => mapping.OrdinalOf(column) is >= 0 and var ordinal
                ? ordinal
                : throw SluiceException.Fatal($"the sync's mapping does not read column '{column}', which the events table needs (is the source an ingest source?)");
            return new Ordinals(mapping, Find("event_id"), Find("source"), Find("kind"), Find("type"), Find("event"), Find("received_at"), Find("payload"));
        }
    }
}
