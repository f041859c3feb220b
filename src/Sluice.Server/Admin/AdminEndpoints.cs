using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
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
    public static HealthSnapshotCache MapAdmin(this WebApplication app, SluiceWorkspace workspace, ILogger dashboardLog)
    {
        app.MapSluiceMetrics(workspace, out var health);
        // The dashboard's pages and buttons (docs/dashboard.md); a connector that cannot be read leaves its health lines out, not the page.
        app.MapDashboard(workspace, health.Current, dashboardLog);
        app.MapGet("/api/syncs", async (HttpContext http) =>
        {
            var state = await workspace.StateAsync(http.RequestAborted);
            return Results.Json(await state.StatusAsync(http.RequestAborted));
        });
        return health;
    }
}
