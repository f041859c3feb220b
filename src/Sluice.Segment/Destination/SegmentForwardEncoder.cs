using System.Buffers;
using System.Text.Json;
using Sluice.Core.Connectors;
using Sluice.Core.Errors;
using Sluice.Core.Mapping;
using Sluice.Core.Records;

namespace Sluice.Segment.Destination;

/// <summary>
/// <c>forward: true</c>: an event of an ingest source passed on to Segment as its client sent it — its own
/// <c>messageId</c> (so Segment's dedup takes a resend once), context, integrations and every other field — with the
/// timestamps a server library sends. Sluice has already corrected the event's <c>timestamp</c> for the client's
/// clock skew; forwarded with no <c>sentAt</c> of its own, Segment measures the skew against the batch's
/// <c>sentAt</c> (Sluice's clock, when it sends), so Segment's <c>timestamp</c> is the one Sluice computed, however
/// long the event waited in the queue. What only the first receiver sets (<c>receivedAt</c>, <c>sentAt</c>,
/// <c>originalTimestamp</c>) is left out: Segment sets its own. The fields are copied byte for byte, never re-encoded.
/// </summary>
internal static class SegmentForwardEncoder
{
    /// <summary>The ingest source's columns a forwarding sync reads.</summary>
    public const string EventIdColumn = "event_id";

    /// <inheritdoc cref="EventIdColumn"/>
    public const string KindColumn = "kind";

    /// <inheritdoc cref="EventIdColumn"/>
    public const string PayloadColumn = "payload";

    /// <summary>The ingest queue's kind for a Segment call (the envelope of <c>POST /v1/events</c> is another).</summary>
    private const string SegmentKind = "segment";

    public static EncodedRecord Encode(Change change, CompiledMapping mapping)
    {
        var payloadOrdinal = mapping.OrdinalOf(PayloadColumn);
        if (payloadOrdinal < 0)
        {
            throw new InvalidOperationException($"the mapping does not read '{PayloadColumn}'; compile it with this destination's Shape");
        }

        var kindOrdinal = mapping.OrdinalOf(KindColumn);
        if (kindOrdinal >= 0 && change.Values[kindOrdinal] is string kind && kind != SegmentKind)
        {
            throw new SluiceException(ErrorClass.RecordRejected,
                $"the event is a {kind} event; forwarding to Segment passes on Segment calls (identify, track, page, screen, group, alias) only — land envelopes in an events table");
        }

        var stored = change.Values[payloadOrdinal] switch
        {
            string text => System.Text.Encoding.UTF8.GetBytes(text),
            byte[] bytes => bytes,
            null => throw new SluiceException(ErrorClass.RecordRejected, "the event has no payload"),
            var other => throw new SluiceException(ErrorClass.RecordRejected, $"the payload column holds {other.GetType().Name}, not JSON text"),
        };

        var (payload, messageId) = Rewrite(stored);
        if (messageId is null)
        {
            // The ingest API gives every event a messageId; one without is not from it, and Segment could not dedupe it.
            var eventId = mapping.OrdinalOf(EventIdColumn) is >= 0 and var at ? change.Values[at]?.ToString() : null;
            throw new SluiceException(ErrorClass.RecordRejected,
                $"the event{(eventId is null ? "" : $" {eventId}")} has no messageId, so Segment could not recognise a resend of it");
        }

        return new EncodedRecord(change, messageId, payload);
    }

    /// <summary>The event's top-level fields but those Segment sets itself, and its <c>messageId</c> (null when it has none).</summary>
    internal static (byte[] Payload, string? MessageId) Rewrite(byte[] stored)
    {
        var reader = new Utf8JsonReader(stored);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new SluiceException(ErrorClass.RecordRejected, "the stored event is not a JSON object");
        }

        var output = new ArrayBufferWriter<byte>(stored.Length);
        output.Write("{"u8);
        string? messageId = null;
        var first = true;
        try
        {
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var start = (int)reader.TokenStartIndex;
                var dropped = reader.ValueTextEquals("receivedAt"u8) || reader.ValueTextEquals("sentAt"u8)
                    || reader.ValueTextEquals("originalTimestamp"u8) || reader.ValueTextEquals("writeKey"u8);
                var isMessageId = reader.ValueTextEquals("messageId"u8);
                reader.Read();
                if (isMessageId && reader.TokenType == JsonTokenType.String)
                {
                    messageId = reader.GetString();
                }

                reader.Skip();
                if (dropped)
                {
                    continue;
                }

                if (!first)
                {
                    output.Write(","u8);
                }

                first = false;
                output.Write(stored.AsSpan(start, (int)reader.BytesConsumed - start));
            }
        }
        catch (JsonException e)
        {
            throw new SluiceException(ErrorClass.RecordRejected, $"the stored event is not valid JSON: {e.Message}");
        }

        output.Write("}"u8);
        return (output.WrittenSpan.ToArray(), messageId);
    }
}
