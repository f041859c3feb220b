using System.Buffers;
using System.Text;
using System.Text.Json;
using Sluice.Segment.Protocol;

namespace Sluice.Emulators.Segment.Internal;

/// <summary>
/// Builds the event as Segment would pass it downstream: the client's properties copied byte for byte,
/// plus what the API adds or rewrites. Only runs when messages are listed, never on ingest.
/// </summary>
internal static class MessageRenderer
{
    public static readonly JsonWriterOptions WriterOptions = SegmentEventWriter.WriterOptions;

    public static ReceivedMessage? ToReceivedMessage(StoredMessage message, ArrayBufferWriter<byte> buffer)
    {
        if (!message.TryGetEvent(out var parsed))
        {
            return null;
        }

        buffer.ResetWrittenCount();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            WriteEvent(writer, message, parsed);
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

    public static void WriteEvent(Utf8JsonWriter writer, StoredMessage message, in SegmentEvent parsed) =>
        SegmentEventWriter.Write(writer, parsed, message.ReceivedAtTicks);

    public static string FormatTime(long utcTicks) => SegmentTimestamps.Format(utcTicks);
}
