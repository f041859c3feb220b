using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Sluice.Emulators.Salesforce.Internal;
using Sluice.Emulators.Salesforce.Soql;

namespace Sluice.Emulators.Salesforce.Bulk;

/// <summary>
/// Bulk API 2.0 resources under <c>/services/data/vXX.X/</c>: <c>jobs/ingest</c>, <c>jobs/ingest/{id}</c>,
/// <c>…/batches</c>, <c>…/successfulResults</c>, <c>…/failedResults</c>, <c>…/unprocessedrecords</c>, and
/// <c>jobs/query</c>, <c>jobs/query/{id}</c>, <c>…/results</c> (with <c>Sforce-Locator</c> and
/// <c>Sforce-NumberOfRecords</c>).
/// </summary>
internal sealed class JobsResource : IRestResource
{
    private readonly BulkService _service;

    public JobsResource(SalesforceState state, QueryService queries) =>
        _service = new BulkService(state.Org, queries, (userId, origin) => state.SaveOptions(allOrNone: false, userId, origin));

    public IReadOnlyList<string> Names { get; } = ["jobs"];

    public async Task HandleAsync(RestCall call)
    {
        if (!await TryHandleAsync(call.Context, call.Version, string.Join('/', call.Segments), call.UserId))
        {
            await call.NotFoundAsync();
        }
    }

    /// <summary>Answers <paramref name="path"/> (relative to the version root) if it is a Bulk 2.0 resource; false otherwise.</summary>
    public async Task<bool> TryHandleAsync(HttpContext context, string apiVersion, string path, string userId)
    {
        var parts = path.Trim('/').Split('/');
        if (parts.Length < 2 || parts[0] != "jobs" || parts[1] is not ("ingest" or "query"))
        {
            return false;
        }

        var ingest = parts[1] == "ingest";
        var method = context.Request.Method;
        try
        {
            switch (parts.Length)
            {
                case 2 when HttpMethods.IsPost(method):
                    {
                        var body = await ReadJsonAsync(context);
                        BulkJob job = ingest ? _service.CreateIngest(body, apiVersion, userId, ChangeOrigin.Of("bulkapi", apiVersion, context.Request)) : _service.CreateQuery(body, apiVersion, userId);
                        await WriteInfoAsync(context, job);
                        return true;
                    }

                case 2 when HttpMethods.IsGet(method):
                    await WriteListAsync(context, ingest);
                    return true;
                case 3 when HttpMethods.IsGet(method):
                    await WriteInfoAsync(context, ingest ? _service.Get<IngestJob>(parts[2]) : _service.Get<QueryJob>(parts[2]));
                    return true;
                case 3 when HttpMethods.IsPatch(method):
                    {
                        var body = await ReadJsonAsync(context);
                        await WriteInfoAsync(context, _service.ChangeState(parts[2], body["state"]?.ToString(), ingest));
                        return true;
                    }

                case 3 when HttpMethods.IsDelete(method):
                    _service.Delete(parts[2], ingest);
                    context.Response.StatusCode = 204;
                    return true;
                case 4 when ingest && parts[3] == "batches" && HttpMethods.IsPut(method):
                    await UploadAsync(context, parts[2]);
                    return true;
                case 4 when ingest && parts[3] is "successfulResults" or "failedResults" or "unprocessedrecords" && HttpMethods.IsGet(method):
                    await WriteCsvAsync(context, _service.Results(parts[2], parts[3]));
                    return true;
                case 4 when !ingest && parts[3] == "results" && HttpMethods.IsGet(method):
                    {
                        int? maxRecords = int.TryParse(context.Request.Query["maxRecords"], out var max) ? max : null;
                        var (csv, count, locator) = _service.QueryResults(parts[2], context.Request.Query["locator"], maxRecords);
                        context.Response.Headers["Sforce-Locator"] = locator;
                        context.Response.Headers["Sforce-NumberOfRecords"] = count.ToString(System.Globalization.CultureInfo.InvariantCulture);
                        await WriteCsvAsync(context, csv);
                        return true;
                    }

                default:
                    await SalesforceResponses.ErrorAsync(context, 404, "NOT_FOUND", "The requested resource does not exist");
                    return true;
            }
        }
        catch (BulkApiException e)
        {
            await SalesforceResponses.ErrorAsync(context, e.Status, e.ErrorCode, e.Message);
            return true;
        }
    }

    private async Task UploadAsync(HttpContext context, string id)
    {
        var contentType = context.Request.ContentType ?? "";
        if (!contentType.StartsWith("text/csv", StringComparison.OrdinalIgnoreCase))
        {
            throw new BulkApiException(400, "INVALIDBATCH", $"InvalidBatch : Content-Type {contentType} is not supported; upload text/csv");
        }

        // Parsed as it arrives; a body over the limit is refused without being buffered whole.
        await _service.UploadAsync(id, context.Request.Body, context.RequestAborted);
        context.Response.StatusCode = 201;
    }

    private async Task WriteListAsync(HttpContext context, bool ingest)
    {
        using var buffer = new MemoryStream();
        await using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteBoolean("done", true);
            writer.WriteStartArray("records");
            foreach (var job in _service.Jobs.Where(j => j is IngestJob == ingest))
            {
                job.WriteInfo(writer);
            }

            writer.WriteEndArray();
            writer.WriteNull("nextRecordsUrl");
            writer.WriteEndObject();
        }

        await WriteJsonAsync(context, buffer);
    }

    private static async Task WriteInfoAsync(HttpContext context, BulkJob job)
    {
        using var buffer = new MemoryStream();
        await using (var writer = new Utf8JsonWriter(buffer))
        {
            job.WriteInfo(writer);
        }

        await WriteJsonAsync(context, buffer);
    }

    private static async Task WriteJsonAsync(HttpContext context, MemoryStream buffer)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json;charset=UTF-8";
        await context.Response.Body.WriteAsync(buffer.ToArray(), context.RequestAborted);
    }

    private static async Task WriteCsvAsync(HttpContext context, string csv)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/csv";
        await context.Response.WriteAsync(csv, context.RequestAborted);
    }

    private static async Task<JsonObject> ReadJsonAsync(HttpContext context)
    {
        try
        {
            return await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted) as JsonObject
                ?? throw new BulkApiException(400, "JSON_PARSER_ERROR", "The request body must be a JSON object.");
        }
        catch (JsonException e)
        {
            throw new BulkApiException(400, "JSON_PARSER_ERROR", $"The request body is not valid JSON: {e.Message}");
        }
    }
}
