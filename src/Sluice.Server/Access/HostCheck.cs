using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Sluice.Core.Net;

namespace Sluice.Server.Access;

/// <summary>
/// Refuses a request whose <c>Host</c> header names no host the listener answers to (<see cref="AllowedHosts"/>:
/// loopback, the bound addresses, <c>server.allowed_hosts</c>) with 421 and a plain reason, before anything else runs:
/// a page using DNS rebinding reaches the listener under its own name and is turned away.
/// </summary>
internal static class HostCheck
{
    public const string Refusal = "421 Misdirected Request: this Sluice server does not answer to the host name in this request; its operator lists the names it answers to in server.allowed_hosts\n";

    public static IApplicationBuilder UseHostCheck(this IApplicationBuilder app, AllowedHosts allowed) =>
        app.Use(async (context, next) =>
        {
            if (!allowed.Allows(context.Request.Headers.Host.ToString()))
            {
                context.Response.StatusCode = StatusCodes.Status421MisdirectedRequest;
                context.Response.ContentType = "text/plain; charset=utf-8";
                await context.Response.WriteAsync(Refusal, context.RequestAborted);
                return;
            }

            await next(context);
        });
}
