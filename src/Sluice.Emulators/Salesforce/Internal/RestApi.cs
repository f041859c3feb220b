using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Sluice.Emulators.Salesforce.Org;

using Codes = Sluice.Emulators.Salesforce.Org.StatusCodes;
using HttpStatus = Microsoft.AspNetCore.Http.StatusCodes;

namespace Sluice.Emulators.Salesforce.Internal;

/// <summary>
/// <c>/services/data/…</c>: the versions list (no session needed, not counted), then for every versioned call:
/// the bearer session (401 INVALID_SESSION_ID), the version range, the daily request counter
/// (<c>Sforce-Limit-Info</c>, 403 REQUEST_LIMIT_EXCEEDED), injected faults, and the resource.
/// </summary>
internal sealed partial class RestApi
{
    public const string Prefix = "/services/data";
    public const double MinVersion = 31.0;
    public const double MaxVersion = 62.0;

    /// <summary><c>HttpContext.Items</c> key of the injected fault's name, for the request log.</summary>
    public const string FaultKey = "sluice.salesforce.fault";

    private static readonly (string Label, int Major)[] Releases =
    [
        ("Winter '15", 32), ("Spring '15", 33), ("Summer '15", 34), ("Winter '16", 35), ("Spring '16", 36), ("Summer '16", 37),
        ("Winter '17", 38), ("Spring '17", 39), ("Summer '17", 40), ("Winter '18", 41), ("Spring '18", 42), ("Summer '18", 43),
        ("Winter '19", 44), ("Spring '19", 45), ("Summer '19", 46), ("Winter '20", 47), ("Spring '20", 48), ("Summer '20", 49),
        ("Winter '21", 50), ("Spring '21", 51), ("Summer '21", 52), ("Winter '22", 53), ("Spring '22", 54), ("Summer '22", 55),
        ("Winter '23", 56), ("Spring '23", 57), ("Summer '23", 58), ("Winter '24", 59), ("Spring '24", 60), ("Summer '24", 61),
        ("Winter '25", 62),
    ];

    private readonly SalesforceState _state;
    private readonly Dictionary<string, IRestResource> _resources = new(StringComparer.Ordinal);

    public RestApi(SalesforceState state)
    {
        _state = state;
        foreach (var resource in RestResources.Create(state, DispatchAsync))
        {
            foreach (var name in resource.Names)
            {
                _resources[name] = resource;
            }
        }
    }

    /// <summary>Handles a request under <see cref="Prefix"/>; an injected fault's name goes to <see cref="FaultKey"/>.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        var rest = path.Length > Prefix.Length ? path[Prefix.Length..].Trim('/') : "";
        if (rest.Length == 0)
        {
            await VersionsAsync(context);
            return;
        }

        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var versionText = slash < 0 ? rest : rest[..slash];
        var segments = slash < 0 ? [] : rest[(slash + 1)..].Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();

        var session = _state.Tokens.Validate(BearerToken(context));
        if (session is null)
        {
            await SalesforceResponses.ErrorAsync(context, 401, Codes.InvalidSessionId, "Session expired or invalid");
            return;
        }

        var version = versionText == "latest" ? MaxVersion.ToString("0.0", CultureInfo.InvariantCulture) : ParseVersion(versionText);
        if (version is null)
        {
            await SalesforceResponses.ErrorAsync(context, 404, Codes.NotFound, "The requested resource does not exist");
            return;
        }

        if (!_state.Usage.TryCount(out var used))
        {
            LimitHeader(context, used);
            await SalesforceResponses.ErrorAsync(context, 403, Codes.RequestLimitExceeded, "TotalRequests Limit exceeded.");
            return;
        }

        LimitHeader(context, used);
        var faults = _state.Faults;
        if (faults.Draw(faults.Options.SlowRate))
        {
            context.Items[FaultKey] = "slow";
            await Task.Delay(faults.Options.SlowDelay, _state.Time, context.RequestAborted);
        }

        if (faults.Draw(faults.Options.DropConnectionRate))
        {
            context.Items[FaultKey] = "dropped";
            context.Features.Get<IHttpRequestLifetimeFeature>()?.Abort();
            return;
        }

        if (faults.Draw(faults.Options.RequestLimitRate))
        {
            context.Items[FaultKey] = "request-limit";
            await SalesforceResponses.ErrorAsync(context, 403, Codes.RequestLimitExceeded, "ConcurrentPerOrgLongTxn Limit exceeded.");
            return;
        }

        if (faults.Draw(faults.Options.ServiceUnavailableRate))
        {
            context.Items[FaultKey] = "unavailable";
            await SalesforceResponses.ErrorAsync(context, 503, Codes.ServerUnavailable, "Server unavailable, please try again later.");
            return;
        }

        await DispatchAsync(new RestCall(context, _state, version, segments, session.UserId));
    }

    /// <summary>Routes an authenticated call to its resource (also used for composite subrequests).</summary>
    public Task DispatchAsync(RestCall call)
    {
        if (call.Segments.Count == 0)
        {
            return ResourcesAsync(call);
        }

        return _resources.TryGetValue(call.Segments[0], out var resource) ? resource.HandleAsync(call) : call.NotFoundAsync();
    }

    public static string? ParseVersion(string text)
    {
        var match = VersionPattern().Match(text);
        if (!match.Success)
        {
            return null;
        }

        var number = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return number is >= MinVersion and <= MaxVersion && match.Groups[1].Value.EndsWith(".0", StringComparison.Ordinal) ? match.Groups[1].Value : null;
    }

    private void LimitHeader(HttpContext context, int used) =>
        context.Response.Headers["Sforce-Limit-Info"] = string.Create(CultureInfo.InvariantCulture, $"api-usage={used}/{_state.Usage.Limit}");

    private static string? BearerToken(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        foreach (var scheme in new[] { "Bearer ", "OAuth " })
        {
            if (header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            {
                return header[scheme.Length..].Trim();
            }
        }

        return null;
    }

    private static Task VersionsAsync(HttpContext context)
    {
        var versions = new JsonArray();
        foreach (var (label, major) in Releases.Where(r => r.Major >= MinVersion))
        {
            var version = major.ToString(CultureInfo.InvariantCulture) + ".0";
            versions.Add(new JsonObject { ["label"] = label, ["url"] = $"{Prefix}/v{version}", ["version"] = version });
        }

        versions.Insert(0, new JsonObject { ["label"] = "Summer '14", ["url"] = $"{Prefix}/v31.0", ["version"] = "31.0" });
        return SalesforceResponses.JsonAsync(context, 200, versions);
    }

    private Task ResourcesAsync(RestCall call)
    {
        var body = new JsonObject();
        foreach (var name in new[] { "sobjects", "query", "queryAll", "composite", "limits", "jobs" })
        {
            body[name] = $"{call.BasePath}/{name}";
        }

        return call.JsonAsync(200, body);
    }

    [GeneratedRegex(@"^v(\d{2}\.\d)$")]
    private static partial Regex VersionPattern();
}
