using System.Buffers;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Sluice.Core.Connectors;
using Sluice.Segment.Protocol;
using Sluice.State.Ingest;

namespace Sluice.State.Ingest.Http;

/// <summary>
/// <c>POST /v1/events</c>: Sluice's canonical envelope, one event or <c>{"events":[…]}</c>. All or nothing: one invalid
/// event refuses the whole request with a 400 that lists every invalid field, and nothing is stored. The answer
/// gives each event's id, deterministic when the event has an <c>idempotencyKey</c>.
/// </summary>
internal sealed class EnvelopeHandler(IngestApiOptions options, WriteKeyDirectory keys, IngestSink sink)
{
    /// <summary>A 400 lists this many invalid fields at most; the message says how many more there were.</summary>
    private const int MaxListedErrors = 100;

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 256 };

    public async Task<HttpIngressResponse> HandleAsync(HttpIngressRequest request)
    {
        if (IngestHttp.PreflightOrWrongMethod(request) is { } answer)
        {
            return answer;
        }

        var body = await IngestHttp.ReadBodyAsync(request, SegmentLimits.MaxBatchBytes);
        if (body.Status != RequestBodyStatus.Ok)
        {
            return IngestHttp.Error(request, HttpStatusCode.BadRequest, SegmentAnswers.ForRefusedBody(body, TrackingRouteKind.Batch));
        }

        var json = body.Bytes.AsMemory(body.Bytes.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0);

        // Before anything decodes a string: JsonDocument checks neither UTF-8 nor surrogates, and would throw later.
        var problems = JsonTextValidator.Find(json.Span, "events"u8, MaxListedErrors);
        if (problems.Count > 0)
        {
            return IngestHttp.Answer(request, HttpStatusCode.BadRequest, ErrorBody([.. problems.Select(p => new EnvelopeError(p.ItemIndex, p.Path, p.Message))]));
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, DocumentOptions);
        }
        catch (JsonException ex)
        {
            return IngestHttp.Error(request, HttpStatusCode.BadRequest, "Invalid JSON: " + ex.Message);
        }

        using (document)
        {
            return await HandleAsync(request, document.RootElement);
        }
    }

    private async Task<HttpIngressResponse> HandleAsync(HttpIngressRequest request, JsonElement root)
    {
        // Authentication before validation: an unknown caller learns nothing about the envelope.
        var bodyKey = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("writeKey", out var key) && key.ValueKind == JsonValueKind.String ? key.GetString() : null;
        var source = keys.SourceOf(WriteKeyReader.FromAuthorization(request.Header("Authorization")) ?? bodyKey);
        if (source is null)
        {
            return IngestHttp.Error(request, HttpStatusCode.Unauthorized, SegmentAnswers.InvalidWriteKey);
        }

        var (envelopes, errors) = EnvelopeParser.Parse(root);
        if (errors.Count > 0)
        {
            return IngestHttp.Answer(request, HttpStatusCode.BadRequest, ErrorBody(errors));
        }

        var receivedAt = new DateTimeOffset(SegmentTimestamps.NowTicks(options.Time), TimeSpan.Zero);
        var events = new List<IngestEvent>(envelopes.Count);
        var traceParent = IngestTrace.Current();
        var buffer = new ArrayBufferWriter<byte>(1024);
        foreach (var envelope in envelopes)
        {
            var eventId = envelope.IdempotencyKey is { } idempotencyKey
                ? IngestEventIds.Derive(IngestEventKind.Envelope, source, idempotencyKey)
                : options.NewId();
            buffer.ResetWrittenCount();
            using (var writer = new Utf8JsonWriter(buffer, SegmentEventWriter.WriterOptions))
            {
                WritePayload(writer, envelope, eventId, receivedAt);
            }

            events.Add(new IngestEvent(source, eventId, IngestEventKind.Envelope, envelope.EventType, envelope.EventType, receivedAt, buffer.WrittenSpan.ToArray())
            {
                TraceParent = traceParent,
            });
        }

        return await sink.StoreAsync(request, events) ?? IngestHttp.Answer(request, HttpStatusCode.OK, SuccessBody(events));
    }

    /// <summary>The stored event: the envelope normalised, with its id, <c>receivedAt</c>, and <c>occurredAt</c> in UTC (default: <c>receivedAt</c>).</summary>
    private static void WritePayload(Utf8JsonWriter writer, EnvelopeEvent envelope, Guid eventId, DateTimeOffset receivedAt)
    {
        writer.WriteStartObject();
        writer.WriteString("eventId"u8, eventId);
        writer.WriteString("eventType"u8, envelope.EventType);
        writer.WriteString("occurredAt"u8, Iso(envelope.OccurredAt ?? receivedAt));
        writer.WriteString("receivedAt"u8, Iso(receivedAt));
        WriteOptional(writer, "source"u8, envelope.Source);
        WriteOptional(writer, "customerExternalId"u8, envelope.CustomerExternalId);
        WriteOptional(writer, "idempotencyKey"u8, envelope.IdempotencyKey);
        WriteOptional(writer, "correlationId"u8, envelope.CorrelationId);
        writer.WritePropertyName("payload"u8);
        WriteObject(writer, envelope.Payload);
        writer.WritePropertyName("metadata"u8);
        WriteObject(writer, envelope.Metadata);
        writer.WriteEndObject();
    }

    private static void WriteOptional(Utf8JsonWriter writer, ReadOnlySpan<byte> name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }

    private static void WriteObject(Utf8JsonWriter writer, JsonElement? value)
    {
        if (value is { } element)
        {
            element.WriteTo(writer);
        }
        else
        {
            writer.WriteStartObject();
            writer.WriteEndObject();
        }
    }

    private static string Iso(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    private static byte[] SuccessBody(List<IngestEvent> events)
    {
        var buffer = new ArrayBufferWriter<byte>(64 + (events.Count * 64));
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteBoolean("success"u8, true);
            writer.WriteStartArray("events"u8);
            foreach (var e in events)
            {
                writer.WriteStartObject();
                writer.WriteString("eventId"u8, e.EventId);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static byte[] ErrorBody(List<EnvelopeError> errors)
    {
        var listed = errors.Take(MaxListedErrors).ToList();
        var message = string.Join("; ", listed) + (errors.Count > listed.Count ? $"; and {errors.Count - listed.Count} more" : "");
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, SegmentEventWriter.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteBoolean("success"u8, false);
            writer.WriteString("message"u8, $"Invalid events, none stored: {message}");
            writer.WriteStartArray("errors"u8);
            foreach (var error in listed)
            {
                writer.WriteStartObject();
                if (error.Index is { } index)
                {
                    writer.WriteNumber("index"u8, index);
                }

                writer.WriteString("path"u8, error.Path);
                writer.WriteString("message"u8, error.Message);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
