using System.Diagnostics.Metrics;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using Sluice.Server.Telemetry;

namespace Sluice.Server.Metrics;

/// <summary>
/// A <see cref="SyncHealthSnapshot"/> as <c>/metrics</c> shows it, rendered in this process by the same exporter and
/// instruments, without a server: for tools and tests that hold a snapshot rather than a running <c>sluice run</c>.
/// </summary>
public static class PrometheusText
{
    private const string Path = "/metrics";

    public static async Task<string> RenderAsync(SyncHealthSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        // A meter of its own, so that only this snapshot's series (and not the engine's, nor a server's in this
        // process) are collected.
        using var meter = new Meter($"Sluice.Render.{Guid.NewGuid():N}");
        HealthInstruments.Register(meter, snapshot.Metrics, () => snapshot);
        using var provider = Sdk.CreateMeterProviderBuilder().AddMeter(meter.Name).AddPrometheusExporter(SluiceOpenTelemetry.Prometheus).Build();
        await using var services = new ServiceCollection().AddOptions().BuildServiceProvider();
        var app = new ApplicationBuilder(services);
        app.UseOpenTelemetryPrometheusScrapingEndpoint(provider, predicate: null, Path, configureBranchedPipeline: null, optionsName: null);
        var pipeline = app.Build();
        using var body = new MemoryStream();
        var http = new DefaultHttpContext { RequestServices = services };
        http.Request.Method = HttpMethods.Get;
        http.Request.Path = Path;
        http.Response.Body = body;
        await pipeline(http);
        return Encoding.UTF8.GetString(body.ToArray());
    }
}
