using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Codes = Sluice.Emulators.Salesforce.Org.StatusCodes;

namespace Sluice.Emulators.Salesforce.Internal;

/// <summary>
/// <c>/composite</c> (reference §2.7): up to 25 subrequests in order, later ones reading earlier answers through
/// <c>@{referenceId.path}</c>; always 200 with one <c>compositeResponse</c> entry each. With <c>allOrNone</c>
/// a failed subrequest rolls back everything and the others report <c>PROCESSING_HALTED</c>.
/// <c>/composite/sobjects</c> goes to <see cref="CollectionsHandler"/>.
/// </summary>
internal sealed partial class CompositeResource(SalesforceState state, Func<RestCall, Task> dispatch) : IRestResource
{
    private const int MaxSubrequests = 25;
    private const string HaltedMessage = "The transaction was rolled back since another operation in the same transaction failed.";

    private readonly CollectionsHandler _collections = new(state);

    public IReadOnlyList<string> Names { get; } = ["composite"];

    public async Task HandleAsync(RestCall call)
    {
        if (call.Segments.Count >= 2 && call.Segments[1] == "sobjects")
        {
            await _collections.HandleAsync(call);
            return;
        }

        if (call.Segments.Count != 1)
        {
            await call.NotFoundAsync();
            return;
        }

        if (!HttpMethods.IsPost(call.Method))
        {
            await call.MethodNotAllowedAsync("POST");
            return;
        }

        if (await call.ReadJsonAsync() is not { } node)
        {
            return;
        }

        if (node is not JsonObject body || body["compositeRequest"] is not JsonArray subrequests)
        {
            await call.ErrorAsync(400, Codes.JsonParserError, "The request body must be {\"allOrNone\": …, \"compositeRequest\": [ … ]}");
            return;
        }

        if (subrequests.Count > MaxSubrequests)
        {
            await call.ErrorAsync(400, "INVALID_API_INPUT", $"Composite request has {subrequests.Count} subrequests, the maximum is {MaxSubrequests}");
            return;
        }

        var allOrNone = body["allOrNone"] is JsonValue flag && flag.TryGetValue<bool>(out var value) && value;
        var answers = new List<JsonObject>();
        var byReference = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        var failed = false;
        using (var transaction = allOrNone ? state.Org.BeginTransaction() : null)
        {
            foreach (var item in subrequests)
            {
                var referenceId = item?["referenceId"]?.ToString() ?? "";
                if (failed && allOrNone)
                {
                    answers.Add(Halted(referenceId));
                    continue;
                }

                var answer = await RunAsync(call, item as JsonObject, byReference);
                answer["referenceId"] = referenceId;
                answers.Add(answer);
                byReference[referenceId] = answer["body"];
                if ((int)answer["httpStatusCode"]! >= 400)
                {
                    failed = true;
                }
            }

            if (failed && transaction is not null)
            {
                transaction.Rollback();
                for (var i = 0; i < answers.Count; i++)
                {
                    if ((int)answers[i]["httpStatusCode"]! < 400)
                    {
                        answers[i] = Halted(answers[i]["referenceId"]!.ToString());
                    }
                }
            }
        }

        await call.JsonAsync(200, new JsonObject { ["compositeResponse"] = new JsonArray([.. answers]) });
    }

    private async Task<JsonObject> RunAsync(RestCall call, JsonObject? subrequest, Dictionary<string, JsonNode?> byReference)
    {
        var method = subrequest?["method"]?.ToString()?.ToUpperInvariant();
        var url = subrequest?["url"]?.ToString();
        if (method is null || url is null)
        {
            return Answer(400, Error("INVALID_API_INPUT", "Each subrequest needs method and url"));
        }

        if (!TryResolve(url, byReference, uri: true, out var resolvedUrl, out var missing)
            || !TryResolve(subrequest!["body"]?.ToJsonString() ?? "", byReference, uri: false, out var resolvedBody, out missing))
        {
            return Answer(400, Error("PROCESSING_HALTED", $"Invalid reference specified. No value for {missing} found"));
        }

        var path = resolvedUrl.Split('?', 2);
        var prefix = call.BasePath + "/";
        if (!path[0].StartsWith(prefix, StringComparison.Ordinal) && !path[0].StartsWith("/services/data/v", StringComparison.Ordinal))
        {
            return Answer(400, Error(Codes.NotFound, "The requested resource does not exist"));
        }

        var afterData = path[0]["/services/data/".Length..];
        var slash = afterData.IndexOf('/', StringComparison.Ordinal);
        var version = RestApi.ParseVersion(slash < 0 ? afterData : afterData[..slash]);
        if (version is null)
        {
            return Answer(404, Error(Codes.NotFound, "The requested resource does not exist"));
        }

        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.Path = path[0];
        context.Request.QueryString = path.Length > 1 ? new QueryString("?" + path[1]) : QueryString.Empty;
        context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(resolvedBody));
        context.Request.ContentType = "application/json";
        var responseBody = new MemoryStream();
        context.Features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(responseBody));
        context.RequestAborted = call.Context.RequestAborted;
        var segments = slash < 0 ? [] : afterData[(slash + 1)..].Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        await dispatch(new RestCall(context, state, version, segments, call.UserId));

        var text = Encoding.UTF8.GetString(responseBody.ToArray());
        var answer = Answer(context.Response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
        if (context.Response.Headers.Location.Count > 0)
        {
            answer["httpHeaders"] = new JsonObject { ["Location"] = context.Response.Headers.Location.ToString() };
        }

        return answer;
    }

    /// <summary>Replaces each <c>@{ref.path}</c> with the value at that path of an earlier answer's body.</summary>
    private static bool TryResolve(string text, Dictionary<string, JsonNode?> byReference, bool uri, out string resolved, out string? missing)
    {
        string? notFound = null;
        resolved = ReferencePattern().Replace(text, match =>
        {
            var parts = PathPart().Matches(match.Groups[1].Value).Select(m => m.Value).ToList();
            JsonNode? node = byReference.GetValueOrDefault(parts[0]);
            foreach (var part in parts.Skip(1))
            {
                node = part.StartsWith('[') ? (node as JsonArray)?.ElementAtOrDefault(int.Parse(part[1..^1], System.Globalization.CultureInfo.InvariantCulture)) : node?[part];
            }

            if (node is null)
            {
                notFound ??= match.Groups[1].Value;
                return match.Value;
            }

            var value = node is JsonValue scalar && scalar.TryGetValue<string>(out var s) ? s : node.ToJsonString();
            return uri ? Uri.EscapeDataString(value) : value;
        });
        missing = notFound;
        return notFound is null;
    }

    private static JsonObject Answer(int status, JsonNode? body) => new()
    {
        ["body"] = body,
        ["httpHeaders"] = new JsonObject(),
        ["httpStatusCode"] = status,
    };

    private static JsonObject Halted(string referenceId)
    {
        var answer = Answer(400, Error("PROCESSING_HALTED", HaltedMessage));
        answer["referenceId"] = referenceId;
        return answer;
    }

    private static JsonArray Error(string code, string message) => new(new JsonObject { ["errorCode"] = code, ["message"] = message });

    [GeneratedRegex(@"@\{([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+|\[\d+\])*)\}")]
    private static partial Regex ReferencePattern();

    [GeneratedRegex(@"[A-Za-z0-9_]+|\[\d+\]")]
    private static partial Regex PathPart();
}
