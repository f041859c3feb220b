using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sluice.Server.Dashboard;
using Sluice.Server.Hosting;
using Sluice.Server.Ingest;
using Sluice.Server.Internal;
using Sluice.Server.Metrics;
using Sluice.Server.Scheduling;
using Sluice.Server.Telemetry;

namespace Sluice.Server;

/// <summary>
/// <c>sluice run</c>: the scheduler and the dashboard (and, later, the ingest API) in one process.
/// Bound to the address in <c>server.listen</c>, 127.0.0.1 by default. What it does goes to <paramref name="logs"/>
/// (<see cref="Logging.ConsoleLogging"/> in the CLI).
/// </summary>
public sealed class SluiceServer(SluiceWorkspace workspace, ILoggerFactory logs)
{
    public async Task RunAsync(string? listenOverride, CancellationToken ct)
    {
        var listen = listenOverride ?? workspace.Config.Server.Listen;
        var builder = WebApplication.CreateSlimBuilder();

        // ASP.NET's logging would print multi-line entries of its own; what matters (failed requests) goes to the
        // sluice log through UseUnhandledRequestErrors instead.
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(listen);
        builder.Services.AddSingleton<IHostLifetime, PassiveHostLifetime>();
        builder.Services.AddSluiceDashboard();
        builder.Services.AddSluiceOpenTelemetry(otlp: SluiceOpenTelemetry.OtlpConfigured(Environment.GetEnvironmentVariable));
        var app = builder.Build();
        app.UseUnhandledRequestErrors(logs.CreateLogger("Sluice.Server.Http"));

        app.MapSluiceMetrics(workspace, out var health);
        // The dashboard's pages and buttons (docs/dashboard.md); a connector that cannot be read leaves its health lines out, not the page.
        app.MapDashboard(workspace, health.Current, logs.CreateLogger("Sluice.Dashboard"));
        app.MapGet("/api/syncs", async (HttpContext http) =>
        {
            var state = await workspace.StateAsync(http.RequestAborted);
            return Results.Json(await state.StatusAsync(http.RequestAborted));
        });
        app.MapGet("/healthz", () => Results.Text("ok"));
        // What connectors receive over HTTP (the ingest API): their routes, mounted as they contribute them.
        workspace.IngestLog = logs.CreateLogger("Sluice.Ingest");
        await app.MapConnectorRoutesAsync(workspace, logs.CreateLogger("Sluice.Server.Ingest"), ct);

        try
        {
            await app.StartAsync(ct);
        }
        catch (IOException e)
        {
            throw Core.Errors.SluiceException.Config($"cannot listen on {listen}: {e.Message.TrimEnd('.')}; set another address with 'server: {{listen: http://127.0.0.1:PORT}}' or --listen");
        }

        logs.CreateLogger<SluiceServer>().LogInformation("dashboard on {Urls}", string.Join(", ", app.Urls));
        try
        {
            using var alertHttp = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            await Task.WhenAll(
                new SyncScheduler(workspace, logs.CreateLogger<SyncScheduler>()).RunAsync(ct),
                workspace.RunAlertsAsync(alertHttp, logs.CreateLogger("Sluice.Alerts"), ct),
                Retention.StateRetentionLoop.RunAsync(workspace, logs.CreateLogger("Sluice.Retention"), ct));
            await Task.Delay(Timeout.Infinite, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Ctrl-C: stop quietly.
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
        }
    }
}
