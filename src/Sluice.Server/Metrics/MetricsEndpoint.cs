using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sluice.Core.Errors;
using Sluice.Core.Telemetry;
using Sluice.Server.Hosting;

namespace Sluice.Server.Metrics;

/// <summary>
/// <c>GET /metrics</c> of <c>sluice run</c>: OpenTelemetry's Prometheus exporter, serving the engine's instruments
/// (<see cref="SluiceTelemetry"/>) and the health series (slot lag, sync progress, ingest backlog) read from the state
/// store at scrape time (docs/metrics.md).
/// </summary>
public static class MetricsEndpoint
{
    /// <summary>
    /// Registers the health instruments and maps <c>/metrics</c>; the collector (and the memory of each slot's progress
    /// between scrapes) lives as long as the app. The metrics pipeline itself is <see cref="Telemetry.SluiceOpenTelemetry"/>'s.
    /// </summary>
    public static IEndpointConventionBuilder MapSluiceMetrics(this WebApplication app, SluiceWorkspace workspace) => app.MapSluiceMetrics(workspace, out _);

    /// <summary>Maps <c>/metrics</c> and hands back the health it reads, which the dashboard shows too (one collector, one memory of each slot).</summary>
    internal static IEndpointConventionBuilder MapSluiceMetrics(this WebApplication app, SluiceWorkspace workspace, out HealthSnapshotCache health)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(workspace);
        var collector = new SyncHealthCollector(workspace.Config, workspace.Time, watching: true, workspace.Connectors);
        health = new HealthSnapshotCache(collector, workspace.Time);
        var meter = new Meter(SluiceTelemetry.Name);
        var cache = health;
        HealthInstruments.Register(meter, collector.Metrics, cache.Current);
        app.Lifetime.ApplicationStopped.Register(() =>
        {
            meter.Dispose();
            collector.DisposeAsync().AsTask().GetAwaiter().GetResult();
        });
        return app.MapPrometheusScrapingEndpoint("/metrics", meterProvider: null, pipeline => pipeline.Use(RefreshFirst(cache)), optionsName: null);
    }

    /// <summary>Reads the state store before the exporter collects, so that the scrape shows it as it is now.</summary>
    internal static Func<HttpContext, RequestDelegate, Task> RefreshFirst(HealthSnapshotCache health) => async (http, next) =>
    {
        try
        {
            await health.RefreshAsync(http.RequestAborted);
        }
        catch (SluiceException e)
        {
            // A scrape that fails shows up as `up == 0` with this reason, which is what alerting wants.
            http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            http.Response.ContentType = "text/plain; charset=utf-8";
            await http.Response.WriteAsync(e.Message, http.RequestAborted);
            return;
        }

        await next(http);
    };
}
