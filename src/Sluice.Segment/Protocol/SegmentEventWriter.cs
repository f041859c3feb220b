using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Sluice.Segment.Protocol;

/// <summary>
/// Writes the event as Segment would pass it downstream: the client's properties copied byte for byte, plus what
/// the API adds or rewrites (<c>type</c>, an assigned <c>messageId</c>, <c>receivedAt</c>, the client
/// <c>timestamp</c> relabelled <c>originalTimestamp</c>, the skew-corrected <c>timestamp</c>, the batch's
/// <c>sentAt</c>, and the batch's <c>context</c>/<c>integrations</c> merged in).
/// </summary>
public static class SegmentEventWriter
{
    public static readonly JsonWriterOptions WriterOptions = new()
    {
        // Keep non-ASCII text as sent rather than \u-escaping it.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 256 };

    /// <param name="writer">Where the event object goes.</param>
    /// <param name="event">The parsed event; its <see cref="SegmentEvent.Json"/> must still hold the body.</param>
    /// <param name="receivedAtTicks">When the API received it (UTC ticks).</param>
    /// <param name="omitWriteKey">Drop a <c>writeKey</c> property: Segment keeps it, but Sluice stores events where the key must not be readable.</param>
    public static void Write(Utf8JsonWriter writer, in SegmentEvent @event, long receivedAtTicks, bool omitWriteKey = false)
    {
        var body = @event.Json.AsSpan();
        var envelope = @event.Envelope;
        var reader = new Utf8JsonReader(body, ReaderOptions);
        reader.Read();
        writer.WriteStartObject();
        writer.WriteString("type"u8, SegmentEventTypes.Name(@event.Type));

        bool sawSentAt = false, sawContext = false, sawIntegrations = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            ReadOnlySpan<byte> name = reader.ValueIsEscaped ? Encoding.UTF8.GetBytes(reader.GetString()!) : reader.ValueSpan;
            reader.Read();
            if (name.SequenceEqual("type"u8)
                || name.SequenceEqual("receivedAt"u8)
                || (name.SequenceEqual("messageId"u8) && @event.MessageIdAssigned)
                || (name.SequenceEqual("originalTimestamp"u8) && @event.HasClientTimestamp)
                || (name.SequenceEqual("writeKey"u8) && omitWriteKey))
            {
                // Replaced by the values written after the loop, or left out.
                reader.Skip();
            }
            else if (name.SequenceEqual("timestamp"u8))
            {
                // "A client-sent timestamp is relabelled originalTimestamp" (spec/common.md "Timestamps").
                if (@event.HasClientTimestamp)
                {
                    CopyValue(writer, "originalTimestamp"u8, ref reader, body);
                }
                else
                {
                    reader.Skip();
                }
            }
            else if (name.SequenceEqual("sentAt"u8))
            {
                sawSentAt = true;
                CopyValue(writer, name, ref reader, body);
            }
            else if (name.SequenceEqual("context"u8))
            {
                sawContext = true;
                CopyMerged(writer, name, ref reader, body, envelope?.Context);
            }
            else if (name.SequenceEqual("integrations"u8))
            {
                sawIntegrations = true;
                CopyMerged(writer, name, ref reader, body, envelope?.Integrations);
            }
            else
            {
                CopyValue(writer, name, ref reader, body);
            }
        }

        if (@event.MessageIdAssigned)
        {
            writer.WriteString("messageId"u8, @event.MessageId);
        }

        if (!sawSentAt && envelope?.SentAtJson is { } sentAt)
        {
            writer.WritePropertyName("sentAt"u8);
            writer.WriteRawValue(sentAt, skipInputValidation: true);
        }

        if (!sawContext && envelope?.Context is { } context)
        {
            writer.WritePropertyName("context"u8);
            writer.WriteRawValue(context, skipInputValidation: true);
        }

        if (!sawIntegrations && envelope?.Integrations is { } integrations)
        {
            writer.WritePropertyName("integrations"u8);
            writer.WriteRawValue(integrations, skipInputValidation: true);
        }

        Span<byte> time = stackalloc byte[SegmentTimestamps.Utf8Length];
        writer.WriteString("receivedAt"u8, SegmentTimestamps.FormatUtf8(receivedAtTicks, time));
        writer.WriteString("timestamp"u8, SegmentTimestamps.FormatUtf8(@event.CorrectedTimestampTicks(receivedAtTicks), time));
        writer.WriteEndObject();
    }

    private static void CopyValue(Utf8JsonWriter writer, ReadOnlySpan<byte> name, ref Utf8JsonReader reader, ReadOnlySpan<byte> body)
    {
        var start = (int)reader.TokenStartIndex;
        reader.Skip();
        writer.WritePropertyName(name);
        writer.WriteRawValue(body.Slice(start, (int)reader.BytesConsumed - start), skipInputValidation: true);
    }

    /// <summary>
    /// The batch root's <c>context</c>/<c>integrations</c> "will be merged with" each item's (http-api "Batch"):
    /// a shallow merge where the item's own keys win.
    /// </summary>
    private static void CopyMerged(Utf8JsonWriter writer, ReadOnlySpan<byte> name, ref Utf8JsonReader reader, ReadOnlySpan<byte> body, byte[]? root)
    {
        if (root is null || reader.TokenType != JsonTokenType.StartObject)
        {
            CopyValue(writer, name, ref reader, body);
            return;
        }

        writer.WritePropertyName(name);
        writer.WriteStartObject();
        var own = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = reader.GetString()!;
            own.Add(key);
            reader.Read();
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            writer.WritePropertyName(key);
            writer.WriteRawValue(body.Slice(start, (int)reader.BytesConsumed - start), skipInputValidation: true);
        }

        var rootReader = new Utf8JsonReader(root, ReaderOptions);
        rootReader.Read();
        while (rootReader.Read() && rootReader.TokenType == JsonTokenType.PropertyName)
        {
            var key = rootReader.GetString()!;
            rootReader.Read();
            var start = (int)rootReader.TokenStartIndex;
            rootReader.Skip();
            if (!own.Contains(key))
            {
                writer.WritePropertyName(key);
                writer.WriteRawValue(root.AsSpan(start, (int)rootReader.BytesConsumed - start), skipInputValidation: true);
            }
        }

        writer.WriteEndObject();
    }
}
