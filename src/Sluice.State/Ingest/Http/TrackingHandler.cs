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

        return await sink.StoreAsync(request, ToIngestEvents(payload, source)) ?? IngestHttp.Success(request);
    }

    /// <summary>Every event of one request gets the same <c>receivedAt</c>, as in Segment.</summary>
    private List<IngestEvent> ToIngestEvents(ParsedPayload payload, string source)
    {
        var receivedAtTicks = SegmentTimestamps.NowTicks(options.Time);
        var receivedAt = new DateTimeOffset(receivedAtTicks, TimeSpan.Zero);
        var events = new List<IngestEvent>(payload.Events.Count);
        var traceParent = IngestTrace.Current();
        var buffer = new ArrayBufferWriter<byte>(1024);
        using var writer = new Utf8JsonWriter(buffer, SegmentEventWriter.WriterOptions);
        foreach (var parsed in payload.Events)
        {
            // One writer for the request: Reset is far cheaper than a new writer per event.
            buffer.ResetWrittenCount();
            writer.Reset(buffer);
            SegmentEventWriter.Write(writer, parsed, receivedAtTicks, omitWriteKey: true);
            writer.Flush();

            // The messageId makes the id deterministic: a replayed batch gets the same ids. A call without one got a
            // fresh messageId above, so it is new on every request, as in Segment.
            var eventId = IngestEventIds.Derive(IngestEventKind.Segment, source, parsed.MessageId);
            events.Add(new IngestEvent(source, eventId, IngestEventKind.Segment, SegmentEventTypes.Name(parsed.Type), parsed.Name, receivedAt, buffer.WrittenSpan.ToArray())
            {
                TraceParent = traceParent,
            });
        }

        return events;
    }
}
