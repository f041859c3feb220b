using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sluice.Core.Errors;
using Sluice.Postgres.Cdc;
using Sluice.Server.Hosting;

namespace Sluice.Server.Metrics;

/// <summary><c>GET /metrics</c> of <c>sluice run</c>: slot lag and sync progress for Prometheus (docs/cdc.md, "Watching lag").</summary>
public static class MetricsEndpoint
{
    /// <summary>Maps <c>/metrics</c>; the collector (and the memory of each slot's progress between scrapes) lives as long as the app.</summary>
    public static IEndpointConventionBuilder MapSluiceMetrics(this WebApplication app, SluiceWorkspace workspace)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(workspace);
        var collector = new SyncHealthCollector(workspace.Config, workspace.Time, new SlotHealthTracker(workspace.Time));
        app.Lifetime.ApplicationStopped.Register(() => collector.DisposeAsync().AsTask().GetAwaiter().GetResult());
        return app.MapGet("/metrics", async (HttpContext http) =>
        {
            try
            {
                var snapshot = await collector.CollectAsync(http.RequestAborted);
                return Results.Text(PrometheusText.Render(snapshot), PrometheusText.ContentType);
            }
            catch (SluiceException e)
            {
                // A scrape that fails shows up as `up == 0` with this reason, which is what alerting wants.
                return Results.Text(e.Message, "text/plain; charset=utf-8", statusCode: StatusCodes.Status503ServiceUnavailable);
            }
        });
    }
}
