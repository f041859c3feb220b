using System.Globalization;
using System.Net;
using System.Text.Json;
using Sluice.Core.Connectors;
using Sluice.Segment.Engage;
using Sluice.Segment.Protocol;
using Sluice.State.Ingest;
using Sluice.State.Ingest.Http;

namespace Sluice.State.Engage;

/// <summary>
/// The webhook of one <c>type: engage</c> connection. It authenticates the delivery (signature or Basic auth, 401 with
/// the reason otherwise), refuses a stale one (401), checks that each call is an Engage delivery Sluice can apply (400
/// otherwise), and answers 200 once the queue has committed them: a sync then upserts them into the application's
/// tables (<c>layout: engage</c>). Accepting into the queue first keeps the answer fast and independent of the
/// application database, which Segment would otherwise see as failures and retry.
/// </summary>
internal sealed class EngageWebhook(EngageConnectionOptions options, IngestApiOptions queue)
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 256 };

    private readonly EngageCredentials _credentials = new(options);
    private readonly IngestSink _sink = new(queue);

    public async Task<HttpIngressResponse> HandleAsync(HttpIngressRequest request)
    {
        if (!string.Equals(request.Method, "POST", StringComparison.OrdinalIgnoreCase))
        {
            return IngestHttp.Answer(request, HttpStatusCode.MethodNotAllowed, SegmentAnswers.Error("The Engage webhook only accepts POST")) with
            {
                Headers = [new("Allow", "POST")],
            };
        }

        // The signature covers the bytes as sent, so the body is read as is (no gzip inflation) and checked first:
        // nothing of an unauthenticated body is parsed.
        request.LimitBody(SegmentLimits.MaxBatchBytes);
        RequestBody body;
        try
        {
            body = await RequestBodyReader.ReadAsync(request.Body, null, request.ContentLength, SegmentLimits.MaxBatchBytes, request.Aborted);
        }
        catch (HttpBodyTooLargeException)
        {
            body = new RequestBody(RequestBodyStatus.TooLarge, null);
        }

        if (body.Status != RequestBodyStatus.Ok)
        {
            return IngestHttp.Error(request, HttpStatusCode.BadRequest, body.Status == RequestBodyStatus.TooLarge ? "Exceed payload limit: a delivery may be at most 500 KB" : "Invalid request body");
        }

        if (_credentials.Refusal(body.Bytes, request.Header(EngageCredentials.SignatureHeader), request.Header("Authorization")) is { } refusal)
        {
            return IngestHttp.Error(request, HttpStatusCode.Unauthorized, refusal);
        }

        if (JsonTextValidator.Find(body.Bytes, "batch"u8, 1) is [var problem, ..])
        {
            return IngestHttp.Error(request, HttpStatusCode.BadRequest, $"Invalid delivery, nothing stored: {problem}");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.Bytes, DocumentOptions);
        }
        catch (JsonException ex)
        {
            return IngestHttp.Error(request, HttpStatusCode.BadRequest, $"Invalid JSON: {ex.Message}");
        }

        using (document)
        {
            var root = document.RootElement;

            // One call per request (Segment's webhooks), or several as a JSON array or {"batch": […]} signed as a whole.
            var calls = root.ValueKind == JsonValueKind.Array ? root.EnumerateArray().ToList()
                : root.ValueKind == JsonValueKind.Object && root.TryGetProperty("batch", out var batch) && batch.ValueKind == JsonValueKind.Array ? batch.EnumerateArray().ToList()
                : [root];
            var now = queue.Time.GetUtcNow();
            var events = new List<IngestEvent>(calls.Count);
            for (var i = 0; i < calls.Count; i++)
            {
                var where = calls.Count == 1 && root.ValueKind == JsonValueKind.Object && !root.TryGetProperty("batch", out _) ? "" : $"[{i}] ";
                if (!EngageDelivery.TryRead(calls[i], out var delivery, out var error))
                {
                    return IngestHttp.Error(request, HttpStatusCode.BadRequest, $"Invalid delivery, nothing stored: {where}{error}");
                }

                var sent = SentAt(calls[i]) ?? delivery!.Timestamp;
                if (now - sent > options.MaxAge)
                {
                    return IngestHttp.Error(request, HttpStatusCode.Unauthorized, string.Create(CultureInfo.InvariantCulture,
                        $"stale delivery: {where}sent at {sent:yyyy-MM-ddTHH:mm:ssZ}, longer ago than this webhook's max_age ({options.MaxAge})"));
                }

                var type = calls[i].GetProperty("type").GetString()!;
                var name = type == "track" ? calls[i].GetProperty("event").GetString() : null;

                // Segment retries a delivery under the same messageId: the same event id, and the upsert makes it a no-op.
                events.Add(new IngestEvent(options.Name, IngestEventIds.Derive(IngestEventKind.Segment, options.Name, delivery!.MessageId), IngestEventKind.Segment,
                    type, name, now, System.Text.Encoding.UTF8.GetBytes(calls[i].GetRawText())));
            }

            return await _sink.StoreAsync(request, events) ?? IngestHttp.Success(request);
        }
    }

    private static DateTimeOffset? SentAt(JsonElement call) =>
        call.TryGetProperty("sentAt", out var value) && value.ValueKind == JsonValueKind.String
        && DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var sent) ? sent : null;
}
