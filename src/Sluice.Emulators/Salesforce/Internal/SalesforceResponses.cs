using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Sluice.Emulators.Salesforce.Org;

using Codes = Sluice.Emulators.Salesforce.Org.StatusCodes;
using HttpStatus = Microsoft.AspNetCore.Http.StatusCodes;

namespace Sluice.Emulators.Salesforce.Internal;

/// <summary>Salesforce's answer shapes: REST errors as a JSON array of <c>{message, errorCode, fields}</c>, OAuth errors as <c>{error, error_description}</c>.</summary>
internal static class SalesforceResponses
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static Task ErrorAsync(HttpContext context, int status, string errorCode, string message, IReadOnlyList<string>? fields = null)
    {
        var error = new JsonObject { ["message"] = message, ["errorCode"] = errorCode };
        if (fields is { Count: > 0 })
        {
            error["fields"] = new JsonArray([.. fields.Select(f => (JsonNode?)f)]);
        }

        return JsonAsync(context, status, new JsonArray(error));
    }

    public static Task ErrorAsync(HttpContext context, int status, SaveError error) =>
        ErrorAsync(context, status, error.StatusCode, error.Message, error.Fields);

    public static Task OAuthErrorAsync(HttpContext context, string error, string description) =>
        JsonAsync(context, HttpStatus.Status400BadRequest, new JsonObject { ["error"] = error, ["error_description"] = description });

    public static async Task JsonAsync(HttpContext context, int status, JsonNode? body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json;charset=UTF-8";
        await context.Response.WriteAsync(body?.ToJsonString(Json) ?? "null", context.RequestAborted);
    }

    /// <summary>A per-record error as collections answer it: <c>statusCode</c>, not <c>errorCode</c>.</summary>
    public static JsonObject RecordError(SaveError error) => new()
    {
        ["statusCode"] = error.StatusCode,
        ["message"] = error.Message,
        ["fields"] = new JsonArray([.. error.Fields.Select(f => (JsonNode?)f)]),
    };

    /// <summary>One collection result: <c>{id, success, errors}</c>, plus <c>created</c> for upsert.</summary>
    public static JsonObject SaveResult(SaveResult result, bool withCreated)
    {
        var body = new JsonObject
        {
            ["id"] = result.Id,
            ["success"] = result.Success,
            ["errors"] = new JsonArray([.. result.Errors.Select(e => (JsonNode)RecordError(e))]),
        };
        if (withCreated && result.Success)
        {
            body["created"] = result.Created;
        }

        return body;
    }
}
