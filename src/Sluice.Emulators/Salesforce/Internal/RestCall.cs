using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Sluice.Emulators.Salesforce.Internal;

/// <summary>
/// One authenticated REST request under <c>/services/data/vXX.X/</c>: the version, the path segments after it
/// (URL-decoded), the session's user, and the shared state. Resources answer through <see cref="SalesforceResponses"/>.
/// </summary>
internal sealed class RestCall(HttpContext context, SalesforceState state, string version, IReadOnlyList<string> segments, string userId)
{
    public HttpContext Context { get; } = context;

    public SalesforceState State { get; } = state;

    /// <summary>E.g. <c>62.0</c>.</summary>
    public string Version { get; } = version;

    public double VersionNumber => double.Parse(Version, CultureInfo.InvariantCulture);

    /// <summary>Path segments after the version, e.g. <c>["sobjects", "Account", "describe"]</c>.</summary>
    public IReadOnlyList<string> Segments { get; } = segments;

    public string UserId { get; } = userId;

    public string Method => Context.Request.Method;

    /// <summary>The <c>changeOrigin</c> of the changes this call makes.</summary>
    public string ChangeOrigin => Internal.ChangeOrigin.Of("rest", Version, Context.Request);

    /// <summary><c>/services/data/v62.0</c>: the prefix of URLs the answers carry.</summary>
    public string BasePath => "/services/data/v" + Version;

    public string Query(string name) => Context.Request.Query[name].ToString();

    /// <summary>The JSON body, or null after answering 400 JSON_PARSER_ERROR for a malformed one.</summary>
    public async Task<JsonNode?> ReadJsonAsync()
    {
        try
        {
            var node = await JsonNode.ParseAsync(Context.Request.Body, cancellationToken: Context.RequestAborted);
            if (node is not null)
            {
                return node;
            }
        }
        catch (JsonException ex)
        {
            await ErrorAsync(400, Org.StatusCodes.JsonParserError, ex.Message);
            return null;
        }

        await ErrorAsync(400, Org.StatusCodes.JsonParserError, "The request body is empty or not JSON");
        return null;
    }

    public Task ErrorAsync(int status, string errorCode, string message, IReadOnlyList<string>? fields = null) =>
        SalesforceResponses.ErrorAsync(Context, status, errorCode, message, fields);

    public Task NotFoundAsync() => ErrorAsync(404, Org.StatusCodes.NotFound, "The requested resource does not exist");

    public Task JsonAsync(int status, JsonNode? body) => SalesforceResponses.JsonAsync(Context, status, body);

    public Task MethodNotAllowedAsync(params string[] allowed)
    {
        Context.Response.Headers.Allow = string.Join(", ", allowed);
        return ErrorAsync(405, "METHOD_NOT_ALLOWED", $"HTTP Method '{Method}' not allowed. Allowed are {string.Join(",", allowed)}");
    }
}
