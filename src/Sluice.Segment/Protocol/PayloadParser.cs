using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace Sluice.Segment.Protocol;

/// <summary>
/// Reads a tracking request body in one forward pass with <see cref="Utf8JsonReader"/>: it pulls out the
/// handful of fields Segment validates and copies each event's bytes verbatim. Nothing is recorded here,
/// so a request that fails a limit half-way leaves no trace.
/// </summary>
/// <remarks>
/// The hot methods skip tiered compilation: a sync's first million events would otherwise run largely through
/// unoptimised tier-0 code (measured: round one cost twice the CPU of round two).
/// </remarks>
public static class PayloadParser
{
    /// <summary>How many strings that are not text one 400 names.</summary>
    private const int MaxListedProblems = 10;

    private const string NulMessage =
        "must not contain a NUL character (\\u0000): Sluice keys events by it and PostgreSQL text cannot hold it (NUL is accepted inside property, trait and context values)";

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 256 };

    /// <summary>
    /// Parses <paramref name="body"/> for <paramref name="route"/>. False with a 400 message for invalid JSON, an event
    /// over 32 KB, a string that is not text (<see cref="JsonTextValidator"/>) or an identifier with a NUL; one such
    /// event refuses the whole request. Events Segment silently discards are counted in <see cref="ParsedPayload.Dropped"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool TryParse(
        byte[] body,
        TrackingRoute route,
        [NotNullWhen(true)] out ParsedPayload? payload,
        [NotNullWhen(false)] out string? error)
    {
        // Offsets below are into the whole array, which becomes the events' storage; skip a UTF-8 BOM.
        var start = body.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0;
        var problems = JsonTextValidator.Find(body.AsSpan(start), "batch"u8, MaxListedProblems);
        if (problems.Count > 0)
        {
            payload = null;
            error = InvalidEvent(string.Join("; ", problems));
            return false;
        }

        var reader = new Utf8JsonReader(body.AsSpan(start), ReaderOptions);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                payload = null;
                error = "Invalid JSON: the body must be a JSON object";
                return false;
            }

            payload = route.Kind == TrackingRouteKind.Batch
                ? ReadBatch(ref reader, new BodyBuffer(body, start), out error)
                : ReadSingle(ref reader, new BodyBuffer(body, start), route.Type!.Value, out error);

            // Utf8JsonReader throws on anything after the root value.
            if (payload is not null && reader.Read())
            {
                payload = null;
                error = "Invalid JSON: unexpected content after the JSON object";
            }
        }
        catch (JsonException ex)
        {
            payload = null;
            error = "Invalid JSON: " + ex.Message;
        }

        return payload is not null;
    }

    private static ParsedPayload? ReadSingle(ref Utf8JsonReader reader, BodyBuffer body, SegmentEventType type, out string? error)
    {
        var payload = new ParsedPayload(1);
        string? writeKey = null;
        if (!ReadEvent(ref reader, body, type, null, -1, payload, ref writeKey, out error))
        {
            return null;
        }

        payload.WriteKey = writeKey;
        return payload;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static ParsedPayload? ReadBatch(ref Utf8JsonReader reader, BodyBuffer body, out string? error)
    {
        var payload = new ParsedPayload(256);
        var envelope = new BatchEnvelope();
        string? rootWriteKey = null;
        string? itemWriteKey = null;
        var sawBatch = false;

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = ClassifyRoot(ref reader);
            reader.Read();
            switch (field)
            {
                case RootField.Batch when reader.TokenType == JsonTokenType.StartArray:
                    sawBatch = true;
                    var index = 0;
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        // Items past 2,500 get a 200 and are discarded (http-api "Errors"); so are non-objects.
                        if (++index > SegmentLimits.MaxEventsPerBatch || reader.TokenType != JsonTokenType.StartObject)
                        {
                            reader.Skip();
                            payload.Dropped++;
                            continue;
                        }

                        if (!ReadEvent(ref reader, body, null, envelope, index - 1, payload, ref itemWriteKey, out error))
                        {
                            return null;
                        }
                    }

                    break;
                case RootField.Batch:
                    error = "Invalid batch: \"batch\" must be an array of events";
                    return null;
                case RootField.WriteKey when reader.TokenType == JsonTokenType.String:
                    rootWriteKey = reader.GetString();
                    break;
                case RootField.SentAt when reader.TokenType == JsonTokenType.String:
                    envelope.SentAtJson = Slice(ref reader, body);
                    envelope.SentAtTicks = ReadTime(ref reader);
                    break;
                case RootField.Context when reader.TokenType == JsonTokenType.StartObject:
                    envelope.Context = Slice(ref reader, body);
                    break;
                case RootField.Integrations when reader.TokenType == JsonTokenType.StartObject:
                    envelope.Integrations = Slice(ref reader, body);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        if (!sawBatch)
        {
            error = "Invalid batch: the body needs a \"batch\" array of events";
            return null;
        }

        payload.WriteKey = string.IsNullOrEmpty(rootWriteKey) ? itemWriteKey : rootWriteKey;
        error = null;
        return payload;
    }

    /// <summary>Reads one event object (the reader is on its StartObject) and adds it to the payload or counts it dropped.</summary>
    /// <param name="item">The event's index in the batch; -1 for a single call.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool ReadEvent(
        ref Utf8JsonReader reader,
        BodyBuffer body,
        SegmentEventType? routeType,
        BatchEnvelope? envelope,
        int item,
        ParsedPayload payload,
        ref string? writeKey,
        out string? error)
    {
        var start = (int)reader.TokenStartIndex;
        SegmentEventType? bodyType = null;
        string? messageId = null, userId = null, anonymousId = null, groupId = null, previousId = null;
        string? eventName = null, name = null;
        string? nulField = null;
        var hasTimestamp = false;
        long timestamp = 0, originalTimestamp = 0, sentAt = 0;

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = ClassifyEvent(ref reader);
            reader.Read();
            switch (field)
            {
                case EventField.Type when reader.TokenType == JsonTokenType.String:
                    bodyType = ReadType(ref reader, ref nulField);
                    break;
                case EventField.MessageId:
                    messageId = NulChecked(ReadId(ref reader), "messageId", ref nulField);
                    break;
                case EventField.UserId:
                    userId = NulChecked(ReadId(ref reader), "userId", ref nulField);
                    break;
                case EventField.AnonymousId:
                    anonymousId = NulChecked(ReadId(ref reader), "anonymousId", ref nulField);
                    break;
                case EventField.GroupId:
                    groupId = NulChecked(ReadId(ref reader), "groupId", ref nulField);
                    break;
                case EventField.PreviousId:
                    previousId = NulChecked(ReadId(ref reader), "previousId", ref nulField);
                    break;
                case EventField.Event:
                    eventName = NulChecked(ReadName(ref reader), "event", ref nulField);
                    break;
                case EventField.Name:
                    name = NulChecked(ReadName(ref reader), "name", ref nulField);
                    break;
                case EventField.Timestamp:
                    hasTimestamp = reader.TokenType != JsonTokenType.Null;
                    timestamp = ReadTime(ref reader);
                    break;
                case EventField.OriginalTimestamp:
                    originalTimestamp = ReadTime(ref reader);
                    break;
                case EventField.SentAt:
                    sentAt = ReadTime(ref reader);
                    break;
                case EventField.WriteKey when reader.TokenType == JsonTokenType.String && writeKey is null:
                    writeKey = reader.GetString();
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        var length = (int)reader.BytesConsumed - start;
        if (length > SegmentLimits.MaxEventBytes)
        {
            // "Exceed payload limit" is the message analytics.js users see for an event over 32 KB (js faq.md).
            error = SegmentAnswers.ExceedPayloadLimit;
            return false;
        }

        if (nulField is not null)
        {
            error = InvalidEvent($"{(item < 0 ? "" : $"batch[{item}].")}{nulField}: {NulMessage}");
            return false;
        }

        error = null;
        var type = routeType ?? bodyType;

        // Each of these gets a 200 from Segment and the event is silently discarded (http-api "Errors";
        // batch items "must have a type property with a valid method name").
        if (type is null
            || (userId is null && anonymousId is null)
            || (type == SegmentEventType.Track && eventName is null)
            || (type == SegmentEventType.Group && groupId is null)
            || (type == SegmentEventType.Alias && previousId is null)
            || messageId?.Length > SegmentLimits.MaxMessageIdLength)
        {
            payload.Dropped++;
            return true;
        }

        // "The HTTP API assigns an ID at ingest" to events without one (guides/duplicate-data.md).
        var assigned = messageId is null;
        messageId ??= "api-" + Guid.NewGuid().ToString("N");
        payload.Events.Add(new SegmentEvent
        {
            MessageId = messageId,
            MessageIdAssigned = assigned,
            Type = type.Value,
            UserId = userId,
            AnonymousId = anonymousId,
            Name = type switch
            {
                SegmentEventType.Track => eventName,
                SegmentEventType.Page or SegmentEventType.Screen => name,
                _ => null,
            },
            Json = new ArraySegment<byte>(body.Array, body.Start + start, length),

            // The root sentAt/context may follow the batch array (analytics-node sends {batch, writeKey, sentAt}),
            // so items keep a reference to the envelope that is still being filled.
            Envelope = envelope,
            HasClientTimestamp = hasTimestamp,
            ClientTimeTicks = timestamp != 0 ? timestamp : originalTimestamp,
            SentAtTicks = sentAt,
        });
        return true;
    }

    /// <summary>
    /// The event's <c>type</c>, its JSON escapes decoded (<c>"\u0074rack"</c> is <c>track</c>); null for an unknown type,
    /// which Segment drops.
    /// </summary>
    private static SegmentEventType? ReadType(ref Utf8JsonReader reader, ref string? nulField)
    {
        if (SegmentEventTypes.TryParse(ref reader, out var type))
        {
            return type;
        }

        if (reader.ValueIsEscaped && reader.GetString()!.Contains('\0', StringComparison.Ordinal))
        {
            nulField ??= "type";
        }

        return null;
    }

    /// <summary>
    /// PostgreSQL text cannot hold NUL, and these fields become keys and columns (the event id, the ledger, warehouse
    /// tables and columns): a NUL in one would be changed or fail far from the sender, so the request is refused.
    /// </summary>
    private static string? NulChecked(string? value, string field, ref string? nulField)
    {
        if (value is not null && value.Contains('\0', StringComparison.Ordinal))
        {
            nulField ??= field;
        }

        return value;
    }

    private static string InvalidEvent(string problems) => "Invalid event, nothing stored: " + problems;

    /// <summary>An identifier: a non-empty string, or a number's literal text. Anything else counts as absent.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static string? ReadId(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                var value = reader.GetString();
                return string.IsNullOrEmpty(value) ? null : value;
            case JsonTokenType.Number:
                return Encoding.UTF8.GetString(reader.ValueSpan);
            default:
                reader.Skip();
                return null;
        }
    }

    /// <summary>A non-empty string (an event or page name); anything else counts as absent.</summary>
    private static string? ReadName(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            reader.Skip();
            return null;
        }

        var value = reader.GetString();
        return string.IsNullOrEmpty(value) ? null : value;
    }

    /// <summary>An ISO-8601 time as UTC ticks; 0 when absent or unparseable.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long ReadTime(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            reader.Skip();
            return 0;
        }

        if (reader.TryGetDateTimeOffset(out var value))
        {
            return value.UtcTicks;
        }

        // Segment's own docs show "2015-2-02T00:30:08.276Z", which the strict ISO reader refuses.
        return DateTimeOffset.TryParse(reader.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out value)
            ? value.UtcTicks
            : 0;
    }

    /// <summary>Copies the current value (string token with its quotes, or a whole object) and leaves the reader at its end.</summary>
    private static byte[] Slice(ref Utf8JsonReader reader, BodyBuffer body)
    {
        var start = (int)reader.TokenStartIndex;
        reader.Skip();
        return body.Array.AsSpan(body.Start + start, (int)reader.BytesConsumed - start).ToArray();
    }

    private static EventField ClassifyEvent(ref Utf8JsonReader reader)
    {
        if (reader.ValueIsEscaped)
        {
            return ClassifyEvent(Encoding.UTF8.GetBytes(reader.GetString()!));
        }

        return ClassifyEvent(reader.ValueSpan);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static EventField ClassifyEvent(ReadOnlySpan<byte> name) => name.Length switch
    {
        4 when name.SequenceEqual("type"u8) => EventField.Type,
        4 when name.SequenceEqual("name"u8) => EventField.Name,
        5 when name.SequenceEqual("event"u8) => EventField.Event,
        6 when name.SequenceEqual("userId"u8) => EventField.UserId,
        6 when name.SequenceEqual("sentAt"u8) => EventField.SentAt,
        7 when name.SequenceEqual("groupId"u8) => EventField.GroupId,
        8 when name.SequenceEqual("writeKey"u8) => EventField.WriteKey,
        9 when name.SequenceEqual("messageId"u8) => EventField.MessageId,
        9 when name.SequenceEqual("timestamp"u8) => EventField.Timestamp,
        10 when name.SequenceEqual("previousId"u8) => EventField.PreviousId,
        11 when name.SequenceEqual("anonymousId"u8) => EventField.AnonymousId,
        17 when name.SequenceEqual("originalTimestamp"u8) => EventField.OriginalTimestamp,
        _ => EventField.Other,
    };

    private static RootField ClassifyRoot(ref Utf8JsonReader reader)
    {
        if (reader.ValueTextEquals("batch"u8))
        {
            return RootField.Batch;
        }

        if (reader.ValueTextEquals("writeKey"u8))
        {
            return RootField.WriteKey;
        }

        if (reader.ValueTextEquals("sentAt"u8))
        {
            return RootField.SentAt;
        }

        if (reader.ValueTextEquals("context"u8))
        {
            return RootField.Context;
        }

        return reader.ValueTextEquals("integrations"u8) ? RootField.Integrations : RootField.Other;
    }

    /// <summary>The request body and where the JSON starts in it (after a BOM, if any).</summary>
    private readonly record struct BodyBuffer(byte[] Array, int Start);

    private enum RootField
    {
        Other,
        Batch,
        WriteKey,
        SentAt,
        Context,
        Integrations,
    }

    private enum EventField
    {
        Other,
        Type,
        Event,
        Name,
        UserId,
        AnonymousId,
        MessageId,
        GroupId,
        PreviousId,
        Timestamp,
        OriginalTimestamp,
        SentAt,
        WriteKey,
    }
}
