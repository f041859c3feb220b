using System.Net;
using System.Net.Sockets;
using Sluice.Postgres.Cdc;
using Sluice.Testing;

namespace Sluice.EndToEnd;

/// <summary><c>/metrics</c> of a running <c>sluice run</c>, scraped over HTTP as Prometheus scrapes it.</summary>
public sealed class MetricsTests
{
    private const string Tables = """
        CREATE TABLE accounts (id bigint PRIMARY KEY, status text NOT NULL);
        CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, updated_at timestamptz NOT NULL);
        INSERT INTO users SELECT i, 'user' || i || '@example.com', '2024-01-01'::timestamptz + i * interval '1 second' FROM generate_series(1, 10) i;
        """;

    /// <summary>Every series name earlier versions served, with its type: dashboards and alerts are written against them.</summary>
    private static readonly (string Name, string Type)[] HealthFamilies =
    [
        ("sluice_slot_lag_bytes", "gauge"),
        ("sluice_slot_retained_bytes", "gauge"),
        ("sluice_slot_lag_seconds", "gauge"),
        ("sluice_slot_active", "gauge"),
        ("sluice_slot_over_threshold", "gauge"),
        ("sluice_slot_stalled", "gauge"),
        ("sluice_orphan_slot_retained_bytes", "gauge"),
        ("sluice_sync_last_success_timestamp_seconds", "gauge"),
        ("sluice_sync_records_total", "counter"),
        ("sluice_sync_info", "gauge"),
        ("sluice_sync_last_run_failed", "gauge"),
        ("sluice_sync_runs_failed_total", "counter"),
        ("sluice_sync_dead_letters", "gauge"),
        ("sluice_sync_dead_letters_last_run", "gauge"),
        ("sluice_sync_needs_attention", "gauge"),
        ("sluice_ingest_backlog_events", "gauge"),
        ("sluice_ingest_backlog_oldest_seconds", "gauge"),
        ("sluice_ingest_events_lost_total", "counter"),
    ];

    [Fact]
    public async Task A_scrape_after_a_run_shows_the_engine_instruments_beside_every_health_series()
    {
        var cdcSync = TestSlots.Unique("metrics_engine_cdc");
        var orphan = TestSlots.Unique("metrics_engine_gone");
        await using var bed = await TestBed.CreateAsync(nameof(A_scrape_after_a_run_shows_the_engine_instruments_beside_every_health_series), Tables,
            at => Config(at, cdcSync));
        await TestSlots.CreateAsync(bed, CdcNames.SlotFor(cdcSync));
        await TestSlots.CreateAsync(bed, CdcNames.SlotFor(orphan));
        var port = FreePort();
        using var server = bed.StartSluice("run", "-c", bed.ConfigPath, "--listen", $"http://127.0.0.1:{FreePort()}", "--admin-listen", $"http://127.0.0.1:{port}");
        var drain = Task.WhenAll(server.StandardOutput.ReadToEndAsync(), server.StandardError.ReadToEndAsync());
        try
        {
            await bed.ExecuteAsync("INSERT INTO accounts (id, status) SELECT i, 'trial' FROM generate_series(1, 100) i");
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
            var metrics = "";
            await Eventually.HoldsAsync(async () =>
            {
                Assert.False(server.HasExited, "sluice run exited early");
                try
                {
                    metrics = await http.GetStringAsync("/metrics");
                }
                catch (HttpRequestException)
                {
                    return false; // not listening yet
                }

                // The users table holds 10 rows: the engine counts them as their batch commits, the state store once
                // the run's row is finished.
                return metrics.Contains("sluice_sync_records_sent_total{sync=\"users_sync\"} 10\n", StringComparison.Ordinal)
                    && metrics.Contains("sluice_sync_records_total{sync=\"users_sync\"} 10\n", StringComparison.Ordinal);
            }, "the scheduled run's records counted as sent", state: () => metrics);

            var lines = metrics.Split('\n');
            Assert.Contains("# TYPE sluice_sync_records_sent_total counter", lines);
            Assert.Contains("sluice_sync_records_read_total{sync=\"users_sync\"} 10", lines);
            Assert.Contains("# TYPE sluice_sync_batch_duration_seconds histogram", lines);
            Assert.Contains(lines, l => l.StartsWith("sluice_sync_batch_duration_seconds_count{sync=\"users_sync\"} ", StringComparison.Ordinal));
            foreach (var (name, type) in HealthFamilies)
            {
                Assert.True(lines.Contains($"# TYPE {name} {type}"), $"no {type} {name} in:\n{metrics}");
                Assert.Contains(lines, l => l.StartsWith(name + "{", StringComparison.Ordinal));
            }
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
            await drain;
            await TestSlots.DropAsync(bed, CdcNames.SlotFor(cdcSync));
            await TestSlots.DropAsync(bed, CdcNames.SlotFor(orphan));
        }
    }

    private static string Config(TestBedEndpoints at, string cdcSync) => $"""
        {at.Connections()}
          web:
            type: ingest
            write_key: e2e-metrics-write-key-0123456789
        syncs:
          {cdcSync}:
            schedule: manual
            source:
              connection: app
              table: public.accounts
              cdc: true
            destination:
              connection: segment
              call: identify
            mapping:
              user_id: id
              traits:
                status: status
          users_sync:
            schedule: every 1s
            source:
              connection: app
              table: public.users
              cursor: updated_at
            destination:
              connection: segment
              call: identify
            mapping:
              user_id: id
              traits:
                email: email
          web_events:
            source:
              connection: web
            destination:
              connection: app
              table: public.events
              create_table: true
        """;

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
