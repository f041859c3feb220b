using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Sluice.Bench.Harness;
using Sluice.Core.Configuration;
using Sluice.Dev.Embedded;
using Sluice.Server.Dashboard;
using Sluice.Server.Hosting;

namespace Sluice.Bench.Dashboard;

/// <summary>
/// Dashboard page times (issue 15): a state store with 100 syncs, 1,000,000 send-ledger rows and 1,000,000 record-ledger
/// rows (plus 100 runs and 100 dead letters per sync, and 100,000 events in the ingest queue with a sync reading them),
/// and the dashboard served in process by the same <see cref="DashboardEndpoints.MapDashboard"/> call <c>sluice run</c>
/// makes. Each page is requested over loopback HTTP; the time is the server's, from request in to response written.
/// Target: under 200 ms per page.
/// </summary>
internal static class DashboardBenchmark
{
    private static readonly TimeSpan Target = TimeSpan.FromMilliseconds(200);

    public static async Task<int> RunAsync(DashboardOptions options, CancellationToken ct)
    {
        var repoRoot = RepoRoot.Find();
        var startedAt = DateTimeOffset.UtcNow;
#if DEBUG
        Console.WriteLine("warning: this is a Debug build of the bench; run it with -c Release");
#endif
        var work = Path.Combine(Path.GetTempPath(), $"sluice-bench-{Environment.ProcessId}");
        Directory.CreateDirectory(work);
        LocalCluster? cluster = null;
        try
        {
            Console.WriteLine($"cluster      starting in {work} (durable settings)");
            cluster = await LocalCluster.StartAsync(new LocalClusterOptions { DataDirectory = Path.Combine(work, "pg"), Durable = true }, ct);
            await cluster.CreateDatabaseAsync("bench", ct);
            var connection = new NpgsqlConnectionStringBuilder(cluster.ConnectionString("bench"));
            await using var db = NpgsqlDataSource.Create(connection.ConnectionString);
            var syncNames = Enumerable.Range(0, options.Syncs).Select(i => $"sync_{i:D3}").ToList();
            await using var workspace = new SluiceWorkspace(SluiceConfig.Parse(Config(connection, syncNames), "sluice.yaml", new Dictionary<string, string>()), TimeProvider.System);
            await workspace.StateAsync(ct); // migrated

            var load = Stopwatch.StartNew();
            await SeedAsync(db, syncNames, options.LedgerRows, ct);
            Console.WriteLine($"state        {options.Syncs} syncs, {options.LedgerRows:N0} send-ledger rows, {options.LedgerRows:N0} record-ledger rows, loaded in {load.Elapsed.TotalSeconds:0.0} s");

            var times = new ConcurrentDictionary<string, List<double>>(StringComparer.Ordinal);
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Services.AddSluiceDashboard();
            var app = builder.Build();
            // Server time: from the request entering the pipeline to the page written, as a reverse proxy would log it.
            app.Use(async (http, next) =>
            {
                var started = Stopwatch.GetTimestamp();
                await next(http);
                var page = http.Request.Path + http.Request.QueryString;
                times.GetOrAdd(page, _ => []).Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            });
            app.MapDashboard(workspace);
            await app.StartAsync(ct);
            try
            {
                var middle = syncNames[syncNames.Count / 2];
                var key = "k" + (options.LedgerRows / options.Syncs / 2).ToString(CultureInfo.InvariantCulture);
                (string Name, string Path)[] pages =
                [
                    ("syncs", "/"),
                    ("a sync", $"/syncs/{middle}"),
                    ("a record", $"/records?sync={middle}&key={key}"),
                    ("live events", "/events"),
                    ("plan (one sync)", $"/plan?sync={middle}"),
                    // No query at all: what the machine's load alone costs a page (the floor under the others).
                    ("floor (no query)", "/records"),
                ];
                using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
                foreach (var (_, path) in pages)
                {
                    for (var i = 0; i < 3 + options.Requests; i++)
                    {
                        using var response = await http.GetAsync(path, ct);
                        response.EnsureSuccessStatusCode();
                        _ = await response.Content.ReadAsStringAsync(ct);
                        if (i == 2)
                        {
                            times.TryRemove(path, out _); // the warm-up: JIT, plans, connections
                        }
                    }
                }

                return Report(options, pages, times, startedAt, repoRoot, ct);
            }
            finally
            {
                await app.StopAsync(CancellationToken.None);
                await app.DisposeAsync();
            }
        }
        finally
        {
            await BenchData.CleanUpAsync(cluster, work, options.Keep);
        }
    }

    private static int Report(DashboardOptions options, (string Name, string Path)[] pages, ConcurrentDictionary<string, List<double>> times, DateTimeOffset startedAt, string repoRoot, CancellationToken ct)
    {
        Console.WriteLine();
        Console.WriteLine($"dashboard page server time, {options.Syncs} syncs, {options.LedgerRows:N0} ledger rows, {options.Requests} requests per page (ms)");
        Console.WriteLine($"{"page",-18} {"p50",8} {"p90",8} {"max",8}  target < {Target.TotalMilliseconds:0} ms");
        var met = true;
        var rows = new List<object>();
        foreach (var (name, path) in pages)
        {
            var summary = LatencySummary.Of(times.GetValueOrDefault(path) ?? [])!;
            var ok = summary.P90 < Target.TotalMilliseconds;
            met &= ok;
            Console.WriteLine($"{name,-18} {summary.P50,8:F1} {summary.P90,8:F1} {summary.Max,8:F1}  {(ok ? "met" : "NOT MET")}");
            rows.Add(new { page = name, path, summary.P50, summary.P90, summary.Max, summary.Mean, summary.Count });
        }

        var file = ResultsFile.WriteAsync(ResultsFile.Stem(repoRoot, "dashboard", startedAt), new { options.Syncs, ledger_rows = options.LedgerRows, pages = rows, met }, ct).GetAwaiter().GetResult();
        Console.WriteLine($"results      {file}");
        return 0;
    }

    private static string Config(NpgsqlConnectionStringBuilder connection, IReadOnlyList<string> syncs)
    {
        var yaml = new System.Text.StringBuilder($"""
            connections:
              app:
                type: postgres
                host: {connection.Host}
                port: {connection.Port}
                database: {connection.Database}
                user: {connection.Username}
              web:
                type: ingest
                write_key: bench-web-key-0123456789
            syncs:
              web_events:
                source: {"{"}connection: web{"}"}
                destination: {"{"}connection: app, table: public.events{"}"}

            """);
        foreach (var sync in syncs)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"""
                  {sync}:
                    source: {"{"}connection: app, table: public.src, cursor: updated_at{"}"}
                    destination: {"{"}connection: app, table: public.events{"}"}
                    schedule: every 5m

                """);
        }

        return yaml.ToString();
    }

    /// <summary>The state a year of syncing leaves, written by SQL (the engine would take hours to make it).</summary>
    private static async Task SeedAsync(NpgsqlDataSource db, IReadOnlyList<string> syncs, int ledgerRows, CancellationToken ct)
    {
        var perSync = Math.Max(1, ledgerRows / syncs.Count);
        string[] statements =
        [
            "CREATE TABLE public.src (id bigint PRIMARY KEY, email text, updated_at timestamptz NOT NULL)",
            "INSERT INTO public.src SELECT i, 'user' || i || '@example.com', now() - i * interval '1 second' FROM generate_series(1, 1000) i",
            "INSERT INTO sluice.syncs (name) SELECT unnest($1::text[]) UNION ALL SELECT 'web_events'",
            // 100 runs per sync, every tenth failed.
            """
            INSERT INTO sluice.runs (sync_id, kind, status, started_at, finished_at, records_read, acknowledged, rejected, batches, error, host, pid)
            SELECT s.id, 'incremental', CASE WHEN r % 10 = 0 THEN 'failed' ELSE 'succeeded' END, now() - (100 - r) * interval '5 min',
                   now() - (100 - r) * interval '5 min' + interval '3 s', 500 + (r * 37) % 400, 490 + (r * 37) % 400, r % 3, 5,
                   CASE WHEN r % 10 = 0 THEN 'Segment answered 503' END, 'bench', 1
            FROM sluice.syncs s CROSS JOIN generate_series(1, 100) r
            """,
            // The send ledger: one row per acknowledged batch of 5 records.
            $"""
            INSERT INTO sluice.send_ledger (sync_id, run_id, batch_seq, record_keys, message_ids, operations, acknowledged_at)
            SELECT s.id, (SELECT max(id) FROM sluice.runs WHERE sync_id = s.id), b,
                   ARRAY['k' || b, 'k' || (b + 1), 'k' || (b + 2), 'k' || (b + 3), 'k' || (b + 4)],
                   ARRAY[md5(s.id || ':' || b), md5(s.id || ':' || b || 'a'), md5(s.id || ':' || b || 'b'), md5(s.id || ':' || b || 'c'), md5(s.id || ':' || b || 'd')],
                   'uuuuu', now() - b * interval '1 second'
            FROM sluice.syncs s CROSS JOIN generate_series(1, {perSync}) b WHERE s.name <> 'web_events'
            """,
            $"""
            INSERT INTO sluice.record_state (sync_id, record_key, fingerprint, updated_at, status, run_id)
            SELECT s.id, 'k' || k, decode(md5(s.id || ':' || k), 'hex'), now() - k * interval '1 second', 'sent', (SELECT max(id) FROM sluice.runs WHERE sync_id = s.id)
            FROM sluice.syncs s CROSS JOIN generate_series(1, {perSync}) k WHERE s.name <> 'web_events'
            """,
            """
            INSERT INTO sluice.dead_letters (sync_id, run_id, record_key, message_id, reason, payload, kind)
            SELECT s.id, (SELECT max(id) FROM sluice.runs WHERE sync_id = s.id), 'k' || d, md5(s.id || ':dl:' || d), 'Segment refused the event: payload too large',
                   '{"type":"identify","userId":"' || d || '","traits":{"email":"user' || d || '@example.com"}}', 'rejected'
            FROM sluice.syncs s CROSS JOIN generate_series(1, 100) d
            """,
            """
            INSERT INTO sluice.ingest_queue (source, event_id, kind, type, event, received_at, payload)
            SELECT 'web', gen_random_uuid(), 'segment', 'track', 'Order Completed', now() - (100000 - i) * interval '10 ms',
                   convert_to('{"type":"track","event":"Order Completed","userId":"u' || i || '","properties":{"total":' || i || '}}', 'UTF8')
            FROM generate_series(1, 100000) i
            """,
            "VACUUM ANALYZE",
            "CHECKPOINT",
        ];
        foreach (var sql in statements)
        {
            await using var command = db.CreateCommand(sql);
            command.CommandTimeout = 0;
            if (sql.Contains("$1", StringComparison.Ordinal))
            {
                command.Parameters.Add(new NpgsqlParameter { Value = syncs.ToArray() });
            }

            await command.ExecuteNonQueryAsync(ct);
        }
    }
}
