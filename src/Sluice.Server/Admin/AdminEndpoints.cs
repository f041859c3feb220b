using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Sluice.Server.Dashboard;
using Sluice.Server.Hosting;
using Sluice.Server.Metrics;

namespace Sluice.Server.Admin;

/// <summary>
/// What the admin listener serves behind its token and Host check (<see cref="SluiceServer"/>): the dashboard at
/// <c>/</c>, the admin API under <c>/api</c> and <c>/metrics</c>. Dashboard pages mount here, next to them.
/// </summary>
internal static class AdminEndpoints
{
    /// <summary>Maps the admin routes and hands back the health snapshot <c>/metrics</c> reads, which notifications share.</summary>
    public static async Task<HealthSnapshotCache> MapAdminAsync(this WebApplication app, SluiceWorkspace workspace)
    {
        var schedules = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var sync in workspace.Config.Syncs)
        {
            schedules[sync.Name] = (await workspace.ScheduleOfAsync(sync)).ToString();
        }

        app.MapSluiceMetrics(workspace, out var health);
        app.MapGet("/", async (HttpContext http) =>
        {
            var state = await workspace.StateAsync(http.RequestAborted);
            var status = await state.StatusAsync(http.RequestAborted);
            var ingest = await workspace.IngestBacklogAsync(http.RequestAborted);
            // The connectors' health lines; a system that cannot be read leaves them out rather than the whole page.
            return Results.Content(StatusPage.Render(status, schedules, workspace.Time.GetUtcNow(), ingest, health.Current()), "text/html; charset=utf-8");
        });
        app.MapGet("/api/syncs", async (HttpContext http) =>
        {
            var state = await workspace.StateAsync(http.RequestAborted);
            return Results.Json(await state.StatusAsync(http.RequestAborted));
        });
        return health;
    }
}
