using System.Buffers;
using System.Net;
using System.Text.Json;
using Sluice.Core.Connectors;
using Sluice.Segment.Protocol;
using Sluice.State.Ingest;

namespace Sluice.State.Ingest.Http;

/// <summary>
/// Segment's Tracking API (<c>/v1/identify|track|page|screen|group|alias|batch|import</c> and the browser's
/// <c>/v1/i|t|p|s|g|a|b|m</c>), the same protocol as the Segment emulator: Segment's limits, its 400 answers, its
/// silent drops, its <c>receivedAt</c> and clock-skew correction. Events become <see cref="IngestEvent"/>s of
/// the source the write key belongs to, and the answer is 200 only once the queue has committed them.
/// </summary>
internal sealed class TrackingHandler(IngestApiOptions options, WriteKeyDirectory keys, IngestSink sink)
{
    /// <summary>About what normalising adds to an event: <c>"type"</c>, <c>"receivedAt"</c>, <c>"timestamp"</c>, an assigned <c>"messageId"</c>.</summary>
    private const int AddedBytesPerEvent = 160;

    public async Task<HttpIngressResponse> HandleAsync(HttpIngressRequest request)
    {
        if (!TrackingRoute.TryResolve(request.Path, out var route))
        {
            return IngestHttp.Error(request, HttpStatusCode.NotFound, $"No ingest endpoint at {request.Path}; see docs/ingest.md");
        }

        if (IngestHttp.PreflightOrWrongMethod(request) is { } answer)
        {
            return answer;
        }

        if (route.Kind == TrackingRouteKind.Metrics)
        {
            // analytics-next's own telemetry: accepted and ignored, as the emulator does.
            return IngestHttp.Success(request);
        }

        var body = await IngestHttp.ReadBodyAsync(request, route.MaxBodyBytes);
        if (body.Status != RequestBodyStatus.Ok)
        {
            return IngestHttp.Error(request, HttpStatusCode.BadRequest, SegmentAnswers.ForRefusedBody(body, route.Kind));
        }

        if (!PayloadParser.TryParse(body.Bytes, route, out var payload, out var error))
        {
            return IngestHttp.Error(request, HttpStatusCode.BadRequest, error);
        }

        // Segment answers an empty or refused key with 400 (reference §1.2); Sluice cannot file an unknown key's
        // events under any source, so every key it does not know is refused that way.
        var source = keys.SourceOf(WriteKeyReader.FromAuthorization(request.Header("Authorization")) ?? payload.WriteKey);
        if (source is null)
        {
            return IngestHttp.Error(request, HttpStatusCode.BadRequest, SegmentAnswers.InvalidWriteKey);
        }

        // The normalised events live in a pooled buffer until the queue has taken them (it copies them as COPY rows).
        using var normalised = new PooledBufferWriter(body.Bytes.Length + (payload.Events.Count * AddedBytesPerEvent));
        return await sink.StoreAsync(request, ToIngestEvents(payload, source, normalised)) ?? IngestHttp.Success(request);
    }

    /// <summary>
    /// Every event of one request gets the same <c>receivedAt</c>, as in Segment. The normalised events are written one
    /// after another into one buffer for the request, and each event's payload is a slice of it: one buffer per
    /// request rather than an array per event.
    /// </summary>
    private List<IngestEvent> ToIngestEvents(ParsedPayload payload, string source, PooledBufferWriter buffer)
    {
        var receivedAtTicks = SegmentTimestamps.NowTicks(options.Time);
        var receivedAt = new DateTimeOffset(receivedAtTicks, TimeSpan.Zero);
        var events = new List<IngestEvent>(payload.Events.Count);
        var traceParent = IngestTrace.Current();

        // Sized for the body, plus what normalising adds to each event (type, messageId, receivedAt, timestamp): rarely regrown.
        using var writer = new Utf8JsonWriter(buffer, SegmentEventWriter.WriterOptions);
        Span<int> ends = payload.Events.Count <= 512 ? stackalloc int[payload.Events.Count] : new int[payload.Events.Count];
        for (var i = 0; i < payload.Events.Count; i++)
        {
            SegmentEventWriter.Write(writer, payload.Events[i], receivedAtTicks, omitWriteKey: true);
            writer.Flush();
            writer.Reset();
            ends[i] = buffer.WrittenCount;
        }

        var written = buffer.WrittenMemory;
        var start = 0;
        for (var i = 0; i < payload.Events.Count; i++)
        {
            var parsed = payload.Events[i];

            // The messageId makes the id deterministic: a replayed batch gets the same ids. A call without one got a
            // fresh messageId above, so it is new on every request, as in Segment.
            var eventId = IngestEventIds.Derive(IngestEventKind.Segment, source, parsed.MessageId);
            events.Add(new IngestEvent(source, eventId, IngestEventKind.Segment, SegmentEventTypes.Name(parsed.Type), parsed.Name, receivedAt, written[start..ends[i]])
            {
                TraceParent = traceParent,
            });
            start = ends[i];
        }

        return events;
    }
}
