using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Engine;
using Sluice.Server.Dashboard;
using Sluice.Server.Metrics;
using Sluice.Testing;

namespace Sluice.Server.Tests.Dashboard;

/// <summary>The dashboard shows connectors' health lines (<see cref="IHealthReporting"/>) as status and <c>/metrics</c> do.</summary>
public sealed class DashboardHealthTests
{
    private static string Yaml(NpgsqlConnectionStringBuilder state) => $"""
        connections:
          state:
            type: postgres
            host: {state.Host}
            port: {state.Port}
            database: {state.Database}
            user: {state.Username}
            ssl_mode: disable
          quota_api:
            type: quota
          segment:
            type: segment
            write_key: test
        syncs:
          contacts:
            source:
              connection: quota_api
            destination:
              connection: segment
              call: identify
            mapping:
              user_id: id
        """;

    [Fact]
    public async Task The_dashboard_shows_a_connectors_health_report_with_its_lines_and_messages()
    {
        var state = new NpgsqlConnectionStringBuilder(await TestPostgres.CreateDatabaseAsync("dashboard_health"));
        var config = SluiceConfig.Parse(Yaml(state), "sluice.yaml", new Dictionary<string, string>());
        await using var collector = new SyncHealthCollector(config, TimeProvider.System, connectors: [new QuotaConnector()]);
        var snapshot = await collector.CollectAsync(CancellationToken.None);

        var page = SyncsPage.Render([], new Dictionary<string, Schedule> { ["contacts"] = Schedule.Manual }, snapshot.At, health: snapshot);

        Assert.Contains("<h2>Health</h2>", page, StringComparison.Ordinal);
        Assert.Contains("<td>contacts</td><td>api quota</td><td class=\"warning\">WARN</td>", page, StringComparison.Ordinal);
        Assert.Contains("sluice_api_quota_used_ratio{connection=&quot;quota_api&quot;,sync=&quot;contacts&quot;} 0.92", page, StringComparison.Ordinal);
        Assert.Contains("quota 92% used: raise the limit or lower the schedule", page, StringComparison.Ordinal);
        Assert.Contains("<td>forgotten</td>", page, StringComparison.Ordinal); // a finding no sync claims
    }

    /// <summary>A connector that only reports health: an API quota for each sync reading it, and one finding of its own.</summary>
    private sealed class QuotaConnector : IConnector, IHealthReporting
    {
        public string Type => "quota";

        public IReadOnlyList<HealthMetric> HealthMetrics { get; } = [new("sluice_api_quota_used_ratio", "Share of the API quota used.", Whole: false)];

        public Task<HealthReading> ReadHealthAsync(HealthRequest request, ConnectorResources resources, CancellationToken ct)
        {
            var reports = request.Config.Syncs.Where(s => request.Config.FindConnection(s.SourceConnection)?.Type == Type)
                .Select(s => new HealthReport(s.Name, "api quota", HealthState.Warning, "WARN",
                    [new HealthLine("sluice_api_quota_used_ratio", [new("connection", s.SourceConnection), new("sync", s.Name)], 0.92)],
                    ["quota 92% used: raise the limit or lower the schedule"], new { used = 0.92 }))
                .Append(new HealthReport(null, "forgotten", HealthState.Warning, "WARN", [], ["an app nobody uses: delete it"], null))
                .ToList();
            return Task.FromResult(new HealthReading(reports, new Dictionary<string, string>(), []));
        }

        public Task CheckConnectionAsync(ConnectionConfig connection, ConnectorResources resources, CancellationToken ct) => Task.CompletedTask;

        public ISource CreateSource(SyncConfig sync, ConnectionConfig connection, ConnectorResources resources) => throw new NotSupportedException();

        public IDestination CreateDestination(SyncConfig sync, ConnectionConfig connection, ConnectorResources resources) => throw new NotSupportedException();

        public RateLimitOptions RateLimit(ConnectionConfig connection) => new();
    }
}
