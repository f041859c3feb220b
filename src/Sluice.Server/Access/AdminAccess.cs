using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Sluice.Server.Access;

/// <summary>
/// The admin listener's door when <c>server.admin_token</c> is set: a request passes with <c>Authorization: Bearer
/// TOKEN</c> or the session cookie the login form sets (HttpOnly, SameSite=Strict). Without either, a browser asking for
/// a page is sent to <c>/login</c>, and anything else gets 401 with a plain reason. <c>/healthz</c>, <c>/readyz</c> and
/// the login form itself are open: load balancers and the login page need no token.
/// </summary>
internal static class AdminAccess
{
    public const string LoginPath = "/login";

    public const string LogoutPath = "/logout";

    public const string Unauthorized = "401 Unauthorized: this Sluice admin listener needs its token: send 'Authorization: Bearer <server.admin_token>', or log in at /login\n";

    private static readonly string[] OpenPaths = ["/healthz", "/readyz", LoginPath];

    public static IApplicationBuilder UseAdminToken(this IApplicationBuilder app, AdminToken token) =>
        app.Use(async (context, next) =>
        {
            if (OpenPaths.Any(p => context.Request.Path.Equals(p, StringComparison.Ordinal)) || Authorized(context.Request, token))
            {
                await next(context);
                return;
            }

            if (HttpMethods.IsGet(context.Request.Method) && context.Request.Headers.Accept.ToString().Contains("text/html", StringComparison.Ordinal))
            {
                context.Response.StatusCode = StatusCodes.Status303SeeOther;
                context.Response.Headers.Location = LoginPath + "?to=" + Uri.EscapeDataString(context.Request.Path + context.Request.QueryString);
                return;
            }

            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"sluice admin\"";
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync(Unauthorized, context.RequestAborted);
        });

    /// <summary><c>GET /login</c> (the form), <c>POST /login</c> (checks the token, sets the cookie), <c>POST /logout</c>.</summary>
    public static IEndpointRouteBuilder MapAdminLogin(this IEndpointRouteBuilder endpoints, AdminToken token)
    {
        endpoints.MapGet(LoginPath, (HttpContext http) => Page(http.Request.Query["to"].ToString(), failed: false, StatusCodes.Status200OK));
        endpoints.MapPost(LoginPath, async (HttpContext http) =>
        {
            var form = http.Request.HasFormContentType ? await http.Request.ReadFormAsync(http.RequestAborted) : null;
            var to = form?["to"].ToString() ?? "";
            if (!token.Matches(form?["token"].ToString()))
            {
                return Page(to, failed: true, StatusCodes.Status401Unauthorized);
            }

            http.Response.Cookies.Append(AdminToken.CookieName, token.NewSession(), new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Strict,
                Secure = http.Request.IsHttps || http.Request.Headers["X-Forwarded-Proto"] == "https",
                Path = "/",
                MaxAge = AdminToken.SessionLifetime,
            });
            return Results.Redirect(LocalPath(to), permanent: false, preserveMethod: false);
        });
        endpoints.MapPost(LogoutPath, (HttpContext http) =>
        {
            http.Response.Cookies.Delete(AdminToken.CookieName, new CookieOptions { Path = "/" });
            return Results.Redirect(LoginPath);
        });
        return endpoints;
    }

    internal static bool Authorized(HttpRequest request, AdminToken token)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return token.Matches(authorization["Bearer ".Length..].Trim());
        }

        return token.IsSession(request.Cookies[AdminToken.CookieName]);
    }

    /// <summary>Where to go after logging in: a path on this listener only, never another site (an open redirect).</summary>
    private static string LocalPath(string to) =>
        to.StartsWith('/') && !to.StartsWith("//", StringComparison.Ordinal) && !to.StartsWith("/\\", StringComparison.Ordinal) ? to : "/";

    private static IResult Page(string to, bool failed, int status) => Results.Content(
        $"""
        <!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
        <title>Sluice: log in</title>
        <style>body{"{"}font:16px system-ui,sans-serif;margin:2rem auto;max-width:24rem;color:#1f2328{"}"}label,input,button{"{"}display:block;width:100%;font:inherit{"}"}
        input{"{"}margin:.4rem 0 1rem;padding:.5rem;box-sizing:border-box{"}"}button{"{"}padding:.5rem{"}"}.err{"{"}color:#cf222e{"}"}</style></head>
        <body><main><h1>Sluice</h1>
        {(failed ? "<p class=\"err\" role=\"alert\">That token is not the admin token.</p>" : "")}
        <form method="post" action="{LoginPath}">
        <label for="token">Admin token (server.admin_token)</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
        <input type="hidden" name="to" value="{WebUtility.HtmlEncode(LocalPath(to))}">
        <button type="submit">Log in</button>
        </form></main></body></html>
        """, "text/html; charset=utf-8", statusCode: status);
}
