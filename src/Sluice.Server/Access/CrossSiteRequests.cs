using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Sluice.Server.Access;

/// <summary>
/// Refuses a state-changing request (POST, PUT, PATCH, DELETE) on the admin listener that a browser made for another
/// site: <c>Sec-Fetch-Site</c> other than <c>same-origin</c>/<c>none</c>, or else an <c>Origin</c> that is not this
/// listener's own. A request with neither header comes from no browser (curl, a script with the token) and passes. The
/// dashboard's buttons are plain same-origin forms, so they need no token of their own.
/// </summary>
internal static class CrossSiteRequests
{
    public const string Refusal = "403 Forbidden: a cross-site request cannot change anything here; use the dashboard's own buttons, or call the admin API without a browser\n";

    public static IApplicationBuilder UseCrossSiteProtection(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            if (Changes(context.Request.Method) && !SameSite(context.Request))
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                context.Response.ContentType = "text/plain; charset=utf-8";
                await context.Response.WriteAsync(Refusal, context.RequestAborted);
                return;
            }

            await next(context);
        });

    internal static bool Changes(string method) => !(HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method));

    internal static bool SameSite(HttpRequest request)
    {
        var fetchSite = request.Headers["Sec-Fetch-Site"].ToString();
        if (fetchSite.Length > 0)
        {
            // "none": the user typed it or used a bookmark; "same-site" is a sibling subdomain, which is another origin.
            return fetchSite is "same-origin" or "none";
        }

        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0)
        {
            return true;
        }

        return string.Equals(origin, $"{request.Scheme}://{request.Host.Value}", StringComparison.OrdinalIgnoreCase)
            || (request.Headers["X-Forwarded-Proto"].ToString() is { Length: > 0 } proto
                && string.Equals(origin, $"{proto}://{request.Host.Value}", StringComparison.OrdinalIgnoreCase));
    }
}
