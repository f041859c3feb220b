using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Sluice.Emulators.Salesforce.Internal;

namespace Sluice.Emulators.Salesforce.Soql;

/// <summary>
/// The REST query resources under <c>/services/data/vXX.X/</c>: <c>query?q=</c>, <c>queryAll?q=</c> and
/// <c>query/{locator}-{offset}</c> (also <c>queryAll/{locator}-{offset}</c>). Errors are Salesforce's 400 array.
/// </summary>
internal sealed class QueryResource : IRestResource
{
    private readonly QueryService _service;

    public QueryResource(SalesforceState state) => _service = new QueryService(state.Org);

    public IReadOnlyList<string> Names { get; } = ["query", "queryAll"];

    /// <summary>The service behind it, which Bulk query jobs share.</summary>
    public QueryService Service => _service;

    public async Task HandleAsync(RestCall call)
    {
        if (!await TryHandleAsync(call.Context, call.Version, string.Join('/', call.Segments)))
        {
            await call.NotFoundAsync();
        }
    }

    /// <summary>Answers <paramref name="path"/> (relative to the version root) if it is a query resource; false otherwise.</summary>
    public async Task<bool> TryHandleAsync(HttpContext context, string apiVersion, string path)
    {
        var parts = path.Trim('/').Split('/');
        if (parts[0] is not ("query" or "queryAll") || parts.Length > 2)
        {
            return false;
        }

        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            await SalesforceResponses.ErrorAsync(context, 405, "METHOD_NOT_ALLOWED", $"HTTP Method '{context.Request.Method}' not allowed. Allowed are GET,HEAD");
            return true;
        }

        var batchSize = QueryService.ParseBatchSize(context.Request.Headers["Sforce-Query-Options"]);
        using var buffer = new MemoryStream();
        try
        {
            await using (var writer = new Utf8JsonWriter(buffer))
            {
                if (parts.Length == 2)
                {
                    _service.More(writer, parts[1], batchSize, apiVersion);
                }
                else
                {
                    var soql = context.Request.Query["q"].ToString();
                    if (string.IsNullOrWhiteSpace(soql))
                    {
                        await SalesforceResponses.ErrorAsync(context, 400, "MALFORMED_QUERY", "A query string has to be specified");
                        return true;
                    }

                    _service.Run(writer, soql, parts[0] == "queryAll", batchSize ?? QueryService.DefaultBatchSize, apiVersion);
                }
            }
        }
        catch (SoqlException e)
        {
            await SalesforceResponses.ErrorAsync(context, 400, e.ErrorCode, e.Message);
            return true;
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json;charset=UTF-8";
        context.Response.ContentLength = buffer.Length;
        buffer.Position = 0;
        await buffer.CopyToAsync(context.Response.Body, context.RequestAborted);
        return true;
    }
}
