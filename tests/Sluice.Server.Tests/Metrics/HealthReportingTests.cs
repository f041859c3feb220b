using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Engine;
using Sluice.Server.Metrics;
using Sluice.Testing;

namespace Sluice.Server.Tests.Metrics;

/// <summary>A connector's health lines (<see cref="IHealthReporting"/>) reach status and <c>/metrics</c> without the host knowing the connector.</summary>
public sealed class HealthReportingTests
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
    public async Task A_connectors_health_line_shows_in_the_snapshot_and_in_metrics()
    {
        // A real, empty state store (it reads as no progress); only the test connector reports health.
        var state = new NpgsqlConnectionStringBuilder(await TestPostgres.CreateDatabaseAsync("health_reporting"));
        var config = SluiceConfig.Parse(Yaml(state), "sluice.yaml", new Dictionary<string, string>());
        await using var collector = new SyncHealthCollector(config, TimeProvider.System, connectors: [new QuotaConnector()]);

        var snapshot = await collector.CollectAsync(CancellationToken.None);

        var contacts = Assert.Single(snapshot.Syncs);
        Assert.Equal("api quota", contacts.Health?.Subject);
        Assert.Equal("WARN", contacts.Health?.StateText);
        Assert.True(contacts.NeedsAttention);
        Assert.Equal(["quota 92% used: raise the limit or lower the schedule"], contacts.Health?.Messages);
        var metrics = await PrometheusText.RenderAsync(snapshot);
        Assert.Contains("# TYPE sluice_api_quota_used_ratio gauge", metrics, StringComparison.Ordinal);
        Assert.Contains("sluice_api_quota_used_ratio{connection=\"quota_api\",sync=\"contacts\"} 0.92", metrics, StringComparison.Ordinal);
    }

    /// <summary>A connector that only reports health: an API quota for each sync reading it.</summary>
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
                .ToList();
            return Task.FromResult(new HealthReading(reports, new Dictionary<string, string>(), []));
        }

        public Task CheckConnectionAsync(ConnectionConfig connection, ConnectorResources resources, CancellationToken ct) => Task.CompletedTask;

        public ISource CreateSource(SyncConfig sync, ConnectionConfig connection, ConnectorResources resources) => throw new NotSupportedException();

        public IDestination CreateDestination(SyncConfig sync, ConnectionConfig connection, ConnectorResources resources) => throw new NotSupportedException();

        public RateLimitOptions RateLimit(ConnectionConfig connection) => new();
    }
}
