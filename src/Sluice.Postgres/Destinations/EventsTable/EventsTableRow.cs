using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Sluice.Postgres.Destinations;

/// <summary>
/// One row of an events table, and its stored form: the encoded record is this row as compact JSON, so that a
/// dead letter can be replayed from its stored payload alone (<c>sluice dlq replay</c>), by any later version.
/// </summary>
/// <remarks>
/// The stored form carries <c>"v": 1</c> and only grows: a reader ignores members it does not know.
/// <see cref="Payload"/> and <see cref="Metadata"/> are JSON texts as UTF-8 bytes (what the queue stores and what a
/// jsonb column takes in binary COPY, so they are never turned into UTF-16 strings on the way), stored as JSON values
/// (not strings) so that a dead letter reads naturally.
/// </remarks>
internal sealed record EventsTableRow(
    Guid EventId,
    string EventType,
    DateTimeOffset OccurredAt,
    string? CustomerExternalId,
    string Source,
    byte[] Payload,
    byte[] Metadata,
    DateTimeOffset ReceivedAt)
{
    public const int FormatVersion = 1;

    private const string FormatName = "sluice.events_row";

    /// <summary>The stored form's bytes besides its values: member names, quotes, the three timestamps and the uuid.</summary>
    private const int FixedBytes = 256;

    /// <summary>
    /// One buffer and writer per thread, reused: a fresh buffer grew several times per row (the writer asks room for
    /// the worst-case UTF-8 size of each raw value), which was most of the landing path's allocation.
    /// </summary>
    [ThreadStatic]
    private static (ArrayBufferWriter<byte> Buffer, Utf8JsonWriter Writer)? _scratch;

    /// <summary>
    /// A bound the stored form (<see cref="ToJson"/>) never exceeds, without building it: the JSON values as they are,
    /// and each text at most 6 bytes per UTF-16 unit (the writer escapes what is not ASCII as <c>\uXXXX</c>).
    /// </summary>
    public int MostJsonBytes =>
        FixedBytes + Payload.Length + Metadata.Length + (6 * (EventType.Length + Source.Length + (CustomerExternalId?.Length ?? 0)));

    /// <summary>The stored form of <paramref name="row"/> (an <see cref="EventsTableRow"/>), for a deferred payload.</summary>
    public static ReadOnlyMemory<byte> JsonOf(object row) => ((EventsTableRow)row).ToJson();

    public byte[] ToJson()
    {
        var (buffer, writer) = _scratch ??= (new ArrayBufferWriter<byte>(4096), new Utf8JsonWriter(Stream.Null));
        buffer.ResetWrittenCount();
        writer.Reset(buffer);
        writer.WriteStartObject();
        writer.WriteString("format", FormatName);
        writer.WriteNumber("v", FormatVersion);
        writer.WriteString("event_id", EventId);
        writer.WriteString("event_type", EventType);
        writer.WriteString("occurred_at", Timestamp(OccurredAt));
        if (CustomerExternalId is null)
        {
            writer.WriteNull("customer_external_id");
        }
        else
        {
            writer.WriteString("customer_external_id", CustomerExternalId);
        }

        writer.WriteString("source", Source);
        writer.WriteString("received_at", Timestamp(ReceivedAt));
        writer.WritePropertyName("payload");
        writer.WriteRawValue(Payload, skipInputValidation: true);
        writer.WritePropertyName("metadata");
        writer.WriteRawValue(Metadata, skipInputValidation: true);
        writer.WriteEndObject();
        writer.Flush();

        var json = buffer.WrittenSpan.ToArray();
        if (buffer.Capacity > 256 * 1024)
        {
            // A rare huge row: let its buffer go rather than keep it for ever.
            _scratch = null;
        }

        return json;
    }

    /// <summary>Reads a stored row; <c>null</c> with <paramref name="error"/> when the bytes are not one (a dead letter of another destination).</summary>
    public static EventsTableRow? Read(ReadOnlySpan<byte> json, out string? error)
    {
        error = null;
        try
        {
            var reader = new Utf8JsonReader(json);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.String || format.GetString() != FormatName)
            {
                error = "the stored payload is not an events-table row (was it sent to another kind of destination?)";
                return null;
            }

            if (root.TryGetProperty("v", out var version) && version.TryGetInt32(out var v) && v > FormatVersion)
            {
                error = $"the stored row has format version {v}; this Sluice reads up to {FormatVersion}: upgrade Sluice to replay it";
                return null;
            }

            return new EventsTableRow(
                root.GetProperty("event_id").GetGuid(),
                root.GetProperty("event_type").GetString()!,
                ParseTimestamp(root.GetProperty("occurred_at").GetString()!),
                root.TryGetProperty("customer_external_id", out var customer) && customer.ValueKind == JsonValueKind.String ? customer.GetString() : null,
                root.GetProperty("source").GetString()!,
                JsonMarshal.GetRawUtf8Value(root.GetProperty("payload")).ToArray(),
                JsonMarshal.GetRawUtf8Value(root.GetProperty("metadata")).ToArray(),
                ParseTimestamp(root.GetProperty("received_at").GetString()!));
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            error = $"the stored payload is not a readable events-table row: {e.Message}";
            return null;
        }
    }

    private static string Timestamp(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset ParseTimestamp(string text) =>
        DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
