using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Sluice.Core.Errors;

namespace Sluice.Emulators.Salesforce.Internal;

/// <summary>
/// <c>GET /</c> and <c>/__emulator/*</c>: see what a sync did (records, request log, counters) and steer the
/// emulator (faults, token expiry, API usage, reset). Not Salesforce's API; never faulted, logged or counted.
/// </summary>
internal sealed class AdminEndpoints(SalesforceState state)
{
    public const string Prefix = "/__emulator";

    private static readonly JsonSerializerOptions Indented = new(SalesforceResponses.Json) { WriteIndented = true };
    private static readonly JsonSerializerOptions Strict = new(SalesforceResponses.Json) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow };

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value?.TrimEnd('/') ?? "";
        var method = request.Method;
        switch (path)
        {
            case "" when HttpMethods.IsGet(method):
                context.Response.ContentType = "text/plain; charset=utf-8";
                await context.Response.WriteAsync(IndexText(), context.RequestAborted);
                return;
            case Prefix + "/stats" when HttpMethods.IsGet(method):
                await WriteAsync(context, state.Snapshot());
                return;
            case Prefix + "/requests" when HttpMethods.IsGet(method):
                var log = state.Log();
                var limit = ReadInt(request.Query["limit"].ToString(), 100);
                await WriteAsync(context, log.Skip(Math.Max(0, log.Count - limit)).ToList());
                return;
            case Prefix + "/reset" when HttpMethods.IsPost(method):
                state.Reset();
                context.Response.StatusCode = 204;
                return;
            case Prefix + "/faults" when HttpMethods.IsGet(method):
                await WriteAsync(context, state.Faults.Options);
                return;
            case Prefix + "/faults" when HttpMethods.IsPut(method):
                await PutFaultsAsync(context);
                return;
            case Prefix + "/expire-tokens" when HttpMethods.IsPost(method):
                await WriteAsync(context, new { expired = state.Tokens.ExpireAll() });
                return;
            case Prefix + "/empty-recycle-bin" when HttpMethods.IsPost(method):
                var objectName = request.Query["object"].ToString();
                await WriteAsync(context, new { purged = state.Org.EmptyRecycleBin(objectName.Length == 0 ? null : objectName) });
                return;
            case Prefix + "/api-usage" when HttpMethods.IsPut(method):
                await PutUsageAsync(context);
                return;
            case Prefix + "/streaming" when HttpMethods.IsGet(method):
                await WriteAsync(context, StreamingState());
                return;
            case Prefix + "/streaming" when HttpMethods.IsPut(method):
                await PutStreamingAsync(context);
                return;
            case Prefix + "/streaming/expire" when HttpMethods.IsPost(method):
                await WriteAsync(context, new { expired = state.Streaming.Expire() });
                return;
        }

        if (path.StartsWith(Prefix + "/records/", StringComparison.Ordinal) && HttpMethods.IsGet(method))
        {
            await RecordsAsync(context, path[(Prefix.Length + "/records/".Length)..]);
            return;
        }

        await SalesforceResponses.JsonAsync(context, 404, new JsonObject { ["message"] = $"No emulator endpoint {method} {request.Path}; GET / lists the endpoints" });
    }

    private async Task RecordsAsync(HttpContext context, string objectName)
    {
        if (!state.Org.TryGetSchema(objectName, out var schema))
        {
            await SalesforceResponses.JsonAsync(context, 404, new JsonObject { ["message"] = $"The org has no object {objectName}" });
            return;
        }

        var query = context.Request.Query;
        var records = state.Org.Records(schema.Name, query["includeDeleted"].ToString() == "true");
        var offset = ReadInt(query["offset"].ToString(), 0);
        var limit = ReadInt(query["limit"].ToString(), 100);
        var basePath = $"/services/data/v{RestApi.MaxVersion:0.0}";
        var array = new JsonArray([.. records.Skip(offset).Take(limit).Select(r => (JsonNode)RecordJson.Write(r, basePath))]);
        await SalesforceResponses.JsonAsync(context, 200, new JsonObject { ["totalSize"] = records.Count, ["records"] = array });
    }

    private async Task PutFaultsAsync(HttpContext context)
    {
        try
        {
            var faults = await JsonSerializer.DeserializeAsync<SalesforceFaultOptions>(context.Request.Body, Strict, context.RequestAborted);
            state.SetFaults(faults ?? new SalesforceFaultOptions());
        }
        catch (Exception ex) when (ex is JsonException or SluiceException)
        {
            await SalesforceResponses.JsonAsync(context, 400, new JsonObject { ["message"] = "Invalid faults: " + ex.Message });
            return;
        }

        await WriteAsync(context, state.Faults.Options);
    }

    private async Task PutUsageAsync(HttpContext context)
    {
        JsonNode? body;
        try
        {
            body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        }
        catch (JsonException)
        {
            body = null;
        }

        if (body?["used"] is not JsonValue used || !used.TryGetValue<int>(out var count) || count < 0)
        {
            await SalesforceResponses.JsonAsync(context, 400, new JsonObject { ["message"] = "Send {\"used\": N} (and optionally \"limit\": M)" });
            return;
        }

        if (body["limit"] is JsonValue limitNode && limitNode.TryGetValue<int>(out var limit) && limit > 0)
        {
            state.Usage.Limit = limit;
        }

        state.Usage.Set(count);
        await WriteAsync(context, new { used = state.Usage.Used, limit = state.Usage.Limit });
    }

    private object StreamingState()
    {
        var options = state.Streaming.Options;
        var (retained, oldest) = state.Streaming.Snapshot();
        return new
        {
            retentionSeconds = options.Retention.TotalSeconds,
            maxRetainedEvents = options.MaxRetainedEvents,
            connectTimeoutSeconds = options.ConnectTimeout.TotalSeconds,
            gapEvents = options.GapEvents,
            overflowThreshold = options.OverflowThreshold,
            retained,
            oldestReplayId = oldest,
            latestReplayId = state.Streaming.Latest,
        };
    }

    /// <summary>Changes the streaming settings named in the body (<c>retentionSeconds</c>, <c>gapEvents</c>, …); the others stay.</summary>
    private async Task PutStreamingAsync(HttpContext context)
    {
        try
        {
            var body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted) as JsonObject
                ?? throw new JsonException("The body must be a JSON object.");
            var current = state.Streaming.Options;
            double? Seconds(string name) => body[name] is JsonValue v ? v.GetValue<double>() : null;
            int? Int(string name) => body[name] is JsonValue v ? v.GetValue<int>() : null;
            var unknown = body.Select(p => p.Key).Except(["retentionSeconds", "maxRetainedEvents", "connectTimeoutSeconds", "gapEvents", "overflowThreshold"]).FirstOrDefault();
            if (unknown is not null)
            {
                throw new JsonException($"Unknown setting \"{unknown}\".");
            }

            state.Streaming.Options = new SalesforceStreamingOptions
            {
                Retention = Seconds("retentionSeconds") is { } retention ? TimeSpan.FromSeconds(retention) : current.Retention,
                MaxRetainedEvents = Int("maxRetainedEvents") ?? current.MaxRetainedEvents,
                ConnectTimeout = Seconds("connectTimeoutSeconds") is { } wait ? TimeSpan.FromSeconds(wait) : current.ConnectTimeout,
                GapEvents = body["gapEvents"] is JsonValue gaps ? gaps.GetValue<bool>() : current.GapEvents,
                OverflowThreshold = Int("overflowThreshold") ?? current.OverflowThreshold,
            };
        }
        catch (Exception ex) when (ex is JsonException or SluiceException or InvalidOperationException or FormatException)
        {
            await SalesforceResponses.JsonAsync(context, 400, new JsonObject { ["message"] = "Invalid streaming settings: " + ex.Message });
            return;
        }

        await WriteAsync(context, StreamingState());
    }

    private static int ReadInt(string text, int fallback) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : fallback;

    private static async Task WriteAsync<T>(HttpContext context, T value)
    {
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, value, Indented, context.RequestAborted);
    }

    private string IndexText()
    {
        var text = new StringBuilder();
        text.AppendLine("Sluice Salesforce emulator: a local Salesforce org in memory (REST API v31.0-v62.0).");
        text.AppendLine();
        text.AppendLine($"Login URL and instance URL: {state.BaseUrl}");
        text.AppendLine("  POST /services/oauth2/token      password, client_credentials, jwt-bearer, refresh_token");
        text.AppendLine("  POST /services/Soap/u/{version}  SOAP login (jsforce without client id/secret)");
        text.AppendLine("  /services/data/v62.0/...         sobjects, composite, composite/sobjects, limits, query, jobs");
        text.AppendLine("  POST /cometd/62.0                Streaming API (CometD): /data/ChangeEvents, /data/{Object}ChangeEvent, replay ids");
        text.AppendLine();
        text.AppendLine("Inspection:");
        text.AppendLine("  GET  /__emulator/stats                      counters, records per object");
        text.AppendLine("  GET  /__emulator/records/{Object}?limit=&offset=&includeDeleted=true");
        text.AppendLine("  GET  /__emulator/requests?limit=100         request log (method, path, status, Sforce-Call-Options)");
        text.AppendLine("  POST /__emulator/reset                      forget records, log, counters (users stay)");
        text.AppendLine("  GET  /__emulator/faults  PUT /__emulator/faults   e.g. {\"lockRowRate\":0.1,\"requestLimitRate\":0.05}");
        text.AppendLine("  POST /__emulator/expire-tokens              every issued token expires now");
        text.AppendLine("  PUT  /__emulator/api-usage                  {\"used\": 14990, \"limit\": 15000}");
        text.AppendLine("  GET  /__emulator/streaming  PUT /__emulator/streaming   e.g. {\"gapEvents\":true,\"retentionSeconds\":60}");
        text.AppendLine("  POST /__emulator/streaming/expire           drop retained change events (older replay ids become invalid)");
        text.AppendLine("  POST /__emulator/empty-recycle-bin?object=  deleted records leave queryAll; getDeleted keeps them");
        text.AppendLine();
        var stats = state.Snapshot();
        text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"So far: {stats.Requests} requests, API usage {stats.ApiRequestsUsed}/{stats.ApiRequestsLimit}, {stats.Faults} injected faults."));
        foreach (var (name, count) in stats.Records.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"  {name}: {count}"));
        }

        return text.ToString();
    }
}
