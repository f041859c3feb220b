using Microsoft.AspNetCore.Http;

namespace Sluice.Emulators.Salesforce.Internal;

/// <summary>
/// A change event's <c>changeOrigin</c>: the API that made the change and, when the request named one in
/// <c>Sforce-Call-Options: client=…</c>, the client — Salesforce documents it so that an app can recognise (and skip)
/// the changes it made itself.
/// </summary>
internal static class ChangeOrigin
{
    /// <summary>E.g. <c>com/salesforce/api/rest/62.0;client=sluice</c> for <paramref name="api"/> <c>rest</c>.</summary>
    public static string Of(string api, string version, HttpRequest request)
    {
        var origin = $"com/salesforce/api/{api}/{version}";
        return Client(request.Headers["Sforce-Call-Options"].ToString()) is { } client ? origin + ";client=" + client : origin;
    }

    /// <summary>The <c>client</c> of a <c>Sforce-Call-Options</c> header (<c>client=sluice, defaultNamespace=ns</c>), or null.</summary>
    public static string? Client(string callOptions)
    {
        foreach (var part in callOptions.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (part.StartsWith("client=", StringComparison.OrdinalIgnoreCase) && part.Length > "client=".Length)
            {
                return part["client=".Length..];
            }
        }

        return null;
    }
}
