using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Sluice.Server.Hosting;

namespace Sluice.Server.Access;

/// <summary>
/// <c>/healthz</c> (the process serves: 200 <c>ok</c>) and <c>/readyz</c> (the state database answers and has every
/// migration this build needs: 200 <c>ready</c>, else 503 with the reason) on both listeners, for load balancers and
/// container health checks. The reason names no host, port or database: the detail goes to the log.
/// </summary>
internal static class Readiness
{
    public static IEndpointRouteBuilder MapHealthProbes(this IEndpointRouteBuilder endpoints, SluiceWorkspace workspace, ILogger log)
    {
        var wasReady = true;
        endpoints.MapGet("/healthz", () => Results.Text("ok\n"));
        endpoints.MapGet("/readyz", async (HttpContext http) =>
        {
            var (ready, reason, detail) = await workspace.ReadinessAsync(http.RequestAborted);
            if (ready != wasReady)
            {
                wasReady = ready;
                if (!ready)
                {
                    log.LogWarning("readyz: not ready: {Detail}", detail);
                }
                else
                {
                    log.LogInformation("readyz: ready again");
                }
            }

            return ready ? Results.Text("ready\n") : Results.Text($"not ready: {reason}\n", statusCode: StatusCodes.Status503ServiceUnavailable);
        });
        return endpoints;
    }
}
