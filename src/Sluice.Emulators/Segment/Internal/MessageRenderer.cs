using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Sluice.Emulators.Segment.Internal;

/// <summary>
/// Builds the event as Segment would pass it downstream: the client's properties copied byte for byte,
/// plus what the API adds or rewrites. Only runs when messages are listed, never on ingest.
/// </summary>
internal static class MessageRenderer
{
    public static readonly JsonWriterOptions WriterOptions = new()
    {
        // Keep non-ASCII text as sent rather than \u-escaping it.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    public static ReceivedMessage? ToReceivedMessage(StoredMessage message, ArrayBufferWriter<byte> buffer)
    {
        if (!message.TryGetBody(out var body))
        {
            return null;
        }

        buffer.ResetWrittenCount();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            WriteEvent(writer, message, body.Span);
        }

        return new ReceivedMessage(
            message.MessageId,
            SegmentEventTypes.Name(message.Type),
            message.UserId,
            message.AnonymousId,
            new DateTimeOffset(message.ReceivedAtTicks, TimeSpan.Zero),
            message.TimesReceived,
            Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    public static void WriteEvent(Utf8JsonWriter writer, StoredMessage message, ReadOnlySpan<byte> body)
    {
        var envelope = message.Envelope;
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 256 });
        reader.Read();
        writer.WriteStartObject();
        writer.WriteString("type"u8, SegmentEventTypes.Name(message.Type));

        bool sawSentAt = false, sawContext = false, sawIntegrations = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            ReadOnlySpan<byte> name = reader.ValueIsEscaped ? Encoding.UTF8.GetBytes(reader.GetString()!) : reader.ValueSpan;
            reader.Read();
            if (name.SequenceEqual("type"u8)
                || name.SequenceEqual("receivedAt"u8)
                || (name.SequenceEqual("messageId"u8) && message.MessageIdAssigned)
                || (name.SequenceEqual("originalTimestamp"u8) && message.HasClientTimestamp))
            {
                // Replaced by the values written after the loop.
                reader.Skip();
            }
            else if (name.SequenceEqual("timestamp"u8))
            {
                // "A client-sent timestamp is relabelled originalTimestamp" (spec/common.md "Timestamps").
                if (message.HasClientTimestamp)
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

        if (message.MessageIdAssigned)
        {
            writer.WriteString("messageId"u8, message.MessageId);
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

        writer.WriteString("receivedAt"u8, FormatTime(message.ReceivedAtTicks));
        writer.WriteString("timestamp"u8, FormatTime(message.TimestampTicks));
        writer.WriteEndObject();
    }

    /// <summary>Segment's wire format for times: ISO-8601 UTC with milliseconds.</summary>
    public static string FormatTime(long utcTicks) =>
        new DateTime(utcTicks, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

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

        var rootReader = new Utf8JsonReader(root, new JsonReaderOptions { MaxDepth = 256 });
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
