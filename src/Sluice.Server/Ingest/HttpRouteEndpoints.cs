using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Sluice.Core.Connectors;
using Sluice.Server.Hosting;
using Sluice.Server.Ingest.Internal;

namespace Sluice.Server.Ingest;

/// <summary>
/// Mounts the routes connectors contribute (<see cref="IHttpIngress"/>: the ingest API, webhooks) on the server's
/// minimal API. The server knows routes and answers, never which connector serves them or how.
/// </summary>
public static class HttpRouteEndpoints
{
    /// <summary>
    /// Asks every connector of <paramref name="workspace"/> that receives data over HTTP for its routes, opens what they
    /// write to, and mounts them. Returns how many routes were mounted.
    /// </summary>
    public static async Task<int> MapConnectorRoutesAsync(this IEndpointRouteBuilder endpoints, SluiceWorkspace workspace, ILogger log, CancellationToken ct)
    {
        var context = new HttpIngressContext(workspace.Time, log);
        var mounted = 0;
        foreach (var ingress in workspace.Connectors.OfType<IHttpIngress>())
        {
            var routes = ingress.Routes(workspace.Config, context);
            if (routes.Count == 0)
            {
                continue;
            }

            await ingress.OpenAsync(workspace.Config, ct);
            endpoints.MapHttpRoutes(routes);
            mounted += routes.Count;
        }

        return mounted;
    }

    /// <summary>Mounts <paramref name="routes"/>: every method of a matching path reaches the route's handler.</summary>
    public static IEndpointRouteBuilder MapHttpRoutes(this IEndpointRouteBuilder endpoints, IEnumerable<HttpRoute> routes)
    {
        foreach (var route in routes)
        {
            endpoints.Map(route.Pattern, async (HttpContext http) =>
            {
                var answer = await route.HandleAsync(new AspNetIngressRequest(http));
                await AspNetIngressRequest.WriteAsync(http.Response, answer);
            });
        }

        return endpoints;
    }
}
