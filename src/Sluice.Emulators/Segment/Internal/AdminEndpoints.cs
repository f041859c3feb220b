using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Sluice.Core.Errors;
using Sluice.Segment.Protocol;

namespace Sluice.Emulators.Segment.Internal;

/// <summary>
/// <c>GET /</c> and <c>/__emulator/*</c>: let a person (or a test) see what a sync sent and steer faults.
/// Not part of Segment's API; never faulted, never counted.
/// </summary>
internal sealed class AdminEndpoints(EmulatorState state)
{
    public const string Prefix = "/__emulator";

    private const int DefaultLimit = 100;

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        var path = request.Path.Value?.TrimEnd('/') ?? "";
        var method = request.Method;
        switch (path)
        {
            case "" when HttpMethods.IsGet(method):
                response.ContentType = "text/plain; charset=utf-8";
                await response.WriteAsync(IndexText(), context.RequestAborted);
                break;
            case Prefix + "/stats" when HttpMethods.IsGet(method):
                await WriteJsonAsync(response, state.Store.Snapshot(), context.RequestAborted);
                break;
            case Prefix + "/messages" when HttpMethods.IsGet(method):
                await ListMessagesAsync(context);
                break;
            case Prefix + "/messages" when HttpMethods.IsDelete(method):
                state.Reset();
                await SegmentResponses.WriteSuccessAsync(response);
                break;
            case Prefix + "/faults" when HttpMethods.IsGet(method):
                await WriteJsonAsync(response, state.Faults.Options, context.RequestAborted);
                break;
            case Prefix + "/faults" when HttpMethods.IsPut(method):
                await PutFaultsAsync(context);
                break;
            case Prefix + "/engage" when HttpMethods.IsPost(method):
                await PushEngageAsync(context);
                break;
            default:
                await SegmentResponses.WriteErrorAsync(response, StatusCodes.Status404NotFound, $"No emulator endpoint {method} {request.Path}; GET / lists the endpoints");
                break;
        }
    }

    private async Task ListMessagesAsync(HttpContext context)
    {
        var query = context.Request.Query;
        var typeText = query["type"].ToString();
        SegmentEventType? type = null;
        if (typeText.Length > 0)
        {
            if (!SegmentEventTypes.TryParse(typeText, out var parsed))
            {
                await BadRequestAsync(context, $"Unknown type \"{typeText}\"; use one of {string.Join(", ", SegmentEventTypes.All)}");
                return;
            }

            type = parsed;
        }

        if (!TryReadCount(query["offset"].ToString(), 0, out var offset) || !TryReadCount(query["limit"].ToString(), DefaultLimit, out var limit))
        {
            await BadRequestAsync(context, "offset and limit must be whole numbers, 0 or more");
            return;
        }

        var userId = query["userId"].ToString();
        var selected = state.Store.Select(type, userId.Length > 0 ? userId : null, offset, limit);

        var response = context.Response;
        response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(response.BodyWriter, MessageRenderer.WriterOptions);
        writer.WriteStartArray();
        foreach (var message in selected)
        {
            if (!message.TryGetEvent(out var parsed))
            {
                continue;
            }

            writer.WriteStartObject();
            writer.WriteString("messageId"u8, message.MessageId);
            writer.WriteString("type"u8, SegmentEventTypes.Name(message.Type));
            writer.WriteString("userId"u8, message.UserId);
            writer.WriteString("anonymousId"u8, message.AnonymousId);
            writer.WriteString("receivedAt"u8, MessageRenderer.FormatTime(message.ReceivedAtTicks));
            writer.WriteNumber("timesReceived"u8, message.TimesReceived);
            writer.WritePropertyName("event"u8);
            MessageRenderer.WriteEvent(writer, message, parsed);
            writer.WriteEndObject();
            if (writer.BytesPending > 64 * 1024)
            {
                writer.Flush();
                await response.BodyWriter.FlushAsync(context.RequestAborted);
            }
        }

        writer.WriteEndArray();
        writer.Flush();
        await response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    private async Task PutFaultsAsync(HttpContext context)
    {
        SegmentFaultOptions? faults;
        try
        {
            faults = await JsonSerializer.DeserializeAsync<SegmentFaultOptions>(context.Request.Body, EmulatorJson.Strict, context.RequestAborted);
        }
        catch (JsonException ex)
        {
            await BadRequestAsync(context, "Invalid faults JSON: " + ex.Message);
            return;
        }

        try
        {
            state.SetFaults(faults!);
        }
        catch (SluiceException ex)
        {
            await BadRequestAsync(context, ex.Message);
            return;
        }

        await WriteJsonAsync(context.Response, state.Faults.Options, context.RequestAborted);
    }

    /// <summary><c>{"pushes":[{"kind":"entered","userId":"u1","key":"vip","timestamp":"…"}, …]}</c> → <c>{"statuses":[200, …]}</c>.</summary>
    private async Task PushEngageAsync(HttpContext context)
    {
        EngagePushRequest? pushes;
        try
        {
            pushes = await JsonSerializer.DeserializeAsync<EngagePushRequest>(context.Request.Body, EmulatorJson.Strict, context.RequestAborted);
        }
        catch (JsonException ex)
        {
            await BadRequestAsync(context, "Invalid Engage push JSON: " + ex.Message);
            return;
        }

        try
        {
            var statuses = await state.Engage.PushAsync(pushes?.Pushes ?? [], context.RequestAborted);
            await WriteJsonAsync(context.Response, new { statuses }, context.RequestAborted);
        }
        catch (SluiceException ex)
        {
            await BadRequestAsync(context, ex.Message);
        }
        catch (HttpRequestException ex)
        {
            await SegmentResponses.WriteErrorAsync(context.Response, StatusCodes.Status502BadGateway, "The Engage webhook could not be reached: " + ex.Message);
        }
    }

    private static bool TryReadCount(string text, int fallback, out int value)
    {
        if (text.Length == 0)
        {
            value = fallback;
            return true;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    private static Task BadRequestAsync(HttpContext context, string message) =>
        SegmentResponses.WriteErrorAsync(context.Response, StatusCodes.Status400BadRequest, message);

    private static async Task WriteJsonAsync<T>(HttpResponse response, T value, CancellationToken ct)
    {
        response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(response.Body, value, EmulatorJson.Indented, ct);
    }

    private string IndexText()
    {
        var text = new StringBuilder();
        text.AppendLine("Sluice Segment emulator: a local stand-in for Segment's HTTP Tracking API (https://api.segment.io).");
        text.AppendLine();
        text.AppendLine("Tracking API (POST; Basic auth with the write key as user, or \"writeKey\" in the body):");
        text.AppendLine("  /v1/batch  /v1/import  /v1/b                 {\"batch\":[...]} (500 KB, 2,500 events max)");
        text.AppendLine("  /v1/identify /v1/track /v1/page /v1/screen /v1/group /v1/alias  one event (32 KB max)");
        text.AppendLine("  /v1/i /v1/t /v1/p /v1/s /v1/g /v1/a          analytics.js short paths;  /v1/m metrics (ignored)");
        text.AppendLine();
        text.AppendLine("Inspection:");
        text.AppendLine("  GET    /__emulator/stats                        counters");
        text.AppendLine("  GET    /__emulator/messages?type=&userId=&offset=&limit=   events received (default limit 100)");
        text.AppendLine("  DELETE /__emulator/messages                     forget everything");
        text.AppendLine("  GET    /__emulator/faults                       current fault injection");
        text.AppendLine("  PUT    /__emulator/faults                       e.g. {\"rateLimitRate\":0.5,\"retryAfterSeconds\":1}");
        text.AppendLine("  POST   /__emulator/engage                       push Engage deliveries to --engage-webhook, e.g.");
        text.AppendLine("         {\"pushes\":[{\"kind\":\"entered\",\"userId\":\"u1\",\"key\":\"vip\",\"timestamp\":\"2026-05-01T12:00:00Z\"}]}");
        text.AppendLine();
        var stats = state.Store.Snapshot();
        text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"So far: {stats.Requests} requests, {stats.Unique} unique events, {stats.Duplicates} duplicates, {stats.Dropped} dropped, {stats.RejectedRequests} rejected requests, {stats.Faults} injected faults."));
        return text.ToString();
    }
}
