using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Sluice.Core.Errors;
using Sluice.Core.State;
using Sluice.Emulators.Segment;
using Sluice.Postgres.Cdc;
using Sluice.State.Ingest;

namespace Sluice.EndToEnd;

/// <summary>
/// <c>sluice status</c>, <c>sluice prune</c> and <c>/metrics</c> against real replication slots. The slots are made
/// here as the CDC source would make them, so that what is tested is what these commands see and do.
/// </summary>
public sealed class StatusPruneTests
{
    private const string Tables = """
        CREATE TABLE accounts (id bigint PRIMARY KEY, status text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
        CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, updated_at timestamptz NOT NULL);
        INSERT INTO users SELECT i, 'user' || i || '@example.com', '2024-01-01'::timestamptz + i * interval '1 second' FROM generate_series(1, 10) i;
        """;

    [Fact]
    public async Task Status_shows_each_slot_with_its_lag_lists_orphans_and_exits_1_over_a_threshold()
    {
        var live = TestSlots.Unique("accounts_cdc");
        var gone = TestSlots.Unique("gone");
        await using var bed = await TestBed.CreateAsync(nameof(Status_shows_each_slot_with_its_lag_lists_orphans_and_exits_1_over_a_threshold), Tables,
            at => Config(at, live, "cdc: {max_lag: 1kB, max_lag_time: 1h}"));
        await TestSlots.CreateAsync(bed, CdcNames.SlotFor(live));
        await TestSlots.CreateAsync(bed, CdcNames.SlotFor(gone));
        try
        {
            await bed.ExecuteAsync("INSERT INTO accounts (id, status) SELECT i, 'trial' FROM generate_series(1, 1000) i");

            var (exit, output) = await bed.RunSluiceAsync("status", "-c", bed.ConfigPath);

            Assert.True(exit == 1, output);
            Assert.Contains(CdcNames.SlotFor(live), output, StringComparison.Ordinal);
            Assert.Contains("WARN", output, StringComparison.Ordinal);
            Assert.Contains("is over max_lag 1 kB", output, StringComparison.Ordinal);
            Assert.Contains("users_sync", output, StringComparison.Ordinal);
            Assert.Contains($"slot {CdcNames.SlotFor(gone)} (inactive", output, StringComparison.Ordinal);
            Assert.Contains("run `sluice prune` to drop it", output, StringComparison.Ordinal);

            var (jsonExit, json) = await bed.RunSluiceAsync("status", "-c", bed.ConfigPath, "--json");
            Assert.True(jsonExit == 1, json);
            using var document = JsonDocument.Parse(json);
            var syncs = document.RootElement.GetProperty("syncs").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!);
            var cdc = syncs[live].GetProperty("cdc");
            Assert.Equal(CdcNames.SlotFor(live), cdc.GetProperty("slot").GetString());
            Assert.False(cdc.GetProperty("active").GetBoolean());
            Assert.True(cdc.GetProperty("lagBytes").GetInt64() > 1024);
            Assert.Equal("warn", cdc.GetProperty("state").GetString());
            Assert.Equal(JsonValueKind.Null, syncs["users_sync"].GetProperty("cdc").ValueKind);
            Assert.Contains(document.RootElement.GetProperty("orphans").EnumerateArray(), o => o.GetProperty("name").GetString() == CdcNames.SlotFor(gone));

            // Under its thresholds, with no orphan left, all is well.
            await File.WriteAllTextAsync(bed.ConfigPath, (await File.ReadAllTextAsync(bed.ConfigPath)).Replace("max_lag: 1kB", "max_lag: 1GB", StringComparison.Ordinal));
            await TestSlots.DropAsync(bed, CdcNames.SlotFor(gone));
            var (okExit, okOutput) = await bed.RunSluiceAsync("status", "-c", bed.ConfigPath);
            Assert.True(okExit == 0, okOutput);
            Assert.Contains("OK", okOutput, StringComparison.Ordinal);
        }
        finally
        {
            await TestSlots.DropAsync(bed, CdcNames.SlotFor(live));
            await TestSlots.DropAsync(bed, CdcNames.SlotFor(gone));
        }
    }

    [Fact]
    public async Task Prune_drops_the_slot_and_publication_of_a_sync_removed_from_the_config()
    {
        var kept = TestSlots.Unique("kept");
        var removed = TestSlots.Unique("removed");
        await using var bed = await TestBed.CreateAsync(nameof(Prune_drops_the_slot_and_publication_of_a_sync_removed_from_the_config), Tables,
            at => Config(at, kept, "cdc: true"));
        // Both syncs ran once; then `removed` was taken out of the config.
        await TestSlots.CreateAsync(bed, CdcNames.SlotFor(kept));
        await TestSlots.CreateAsync(bed, CdcNames.SlotFor(removed));
        try
        {
            var (dryExit, dryOutput) = await bed.RunSluiceAsync("prune", "-c", bed.ConfigPath, "--dry-run");
            Assert.True(dryExit == 0, dryOutput);
            Assert.Contains($"slot {CdcNames.SlotFor(removed)}", dryOutput, StringComparison.Ordinal);
            Assert.Contains($"publication {CdcNames.PublicationFor(removed)}", dryOutput, StringComparison.Ordinal);
            Assert.DoesNotContain(CdcNames.SlotFor(kept), dryOutput, StringComparison.Ordinal);
            Assert.Equal(1L, await CountSlotsAsync(bed, CdcNames.SlotFor(removed)));

            var (unconfirmedExit, unconfirmed) = await bed.RunSluiceAsync("prune", "-c", bed.ConfigPath);
            Assert.True(unconfirmedExit == 2, unconfirmed);
            Assert.Contains("pass --yes", unconfirmed, StringComparison.Ordinal);
            Assert.Equal(1L, await CountSlotsAsync(bed, CdcNames.SlotFor(removed)));

            var (exit, output) = await bed.RunSluiceAsync("prune", "-c", bed.ConfigPath, "--yes");
            Assert.True(exit == 0, output);
            Assert.Contains("dropped", output, StringComparison.Ordinal);
            Assert.Equal(0L, await CountSlotsAsync(bed, CdcNames.SlotFor(removed)));
            Assert.Equal(0L, await bed.ScalarAsync($"SELECT count(*) FROM pg_publication WHERE pubname = '{CdcNames.PublicationFor(removed)}'"));
            Assert.Equal(1L, await CountSlotsAsync(bed, CdcNames.SlotFor(kept)));
            Assert.Equal(1L, await bed.ScalarAsync($"SELECT count(*) FROM pg_publication WHERE pubname = '{CdcNames.PublicationFor(kept)}'"));

            var (againExit, again) = await bed.RunSluiceAsync("prune", "-c", bed.ConfigPath, "--yes");
            Assert.True(againExit == 0, again);
            Assert.Contains("nothing to prune", again, StringComparison.Ordinal);
        }
        finally
        {
            await TestSlots.DropAsync(bed, CdcNames.SlotFor(kept));
            await TestSlots.DropAsync(bed, CdcNames.SlotFor(removed));
        }
    }

    [Fact]
    public async Task Metrics_export_slot_lag_and_sync_progress_in_the_Prometheus_format()
    {
        var live = TestSlots.Unique("metrics_cdc");
        await using var bed = await TestBed.CreateAsync(nameof(Metrics_export_slot_lag_and_sync_progress_in_the_Prometheus_format), Tables,
            at => Config(at, live, "cdc: true", usersSchedule: "every 1s"));
        var slot = CdcNames.SlotFor(live);
        await TestSlots.CreateAsync(bed, slot);
        var port = FreePort();
        using var server = bed.StartSluice("run", "-c", bed.ConfigPath, "--listen", $"http://127.0.0.1:{FreePort()}", "--admin-listen", $"http://127.0.0.1:{port}");
        var drain = Task.WhenAll(server.StandardOutput.ReadToEndAsync(), server.StandardError.ReadToEndAsync());
        try
        {
            await bed.ExecuteAsync("INSERT INTO accounts (id, status) SELECT i, 'trial' FROM generate_series(1, 100) i");
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (bed.Emulator.Stats.Unique < 10)
            {
                Assert.False(server.HasExited, "sluice run exited early");
                Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the scheduled run");
                await Task.Delay(50);
            }

            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
            string metrics;
            do
            {
                // The run's records are counted once its row is finished; a scrape may come just before.
                metrics = await http.GetStringAsync("/metrics");
                Assert.True(DateTime.UtcNow < deadline, metrics);
            }
            while (!metrics.Contains("sluice_sync_records_total{sync=\"users_sync\"} 10\n", StringComparison.Ordinal));

            var lines = metrics.Split('\n');
            var labels = $"{{sync=\"{live}\",slot=\"{slot}\"}}";
            Assert.Contains("# TYPE sluice_slot_lag_bytes gauge", lines);
            Assert.True(long.Parse(Value(lines, "sluice_slot_lag_bytes" + labels), System.Globalization.CultureInfo.InvariantCulture) > 0, metrics);
            Assert.Equal("0", Value(lines, "sluice_slot_active" + labels));
            Assert.Contains("# TYPE sluice_slot_lag_seconds gauge", lines);
            var lastSuccess = double.Parse(Value(lines, "sluice_sync_last_success_timestamp_seconds{sync=\"users_sync\"}"), System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(lastSuccess, DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds());
            Assert.Contains("# TYPE sluice_sync_records_total counter", lines);
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
            await drain;
            await TestSlots.DropAsync(bed, slot);
        }
    }

    [Fact]
    public async Task A_sync_whose_last_run_failed_makes_status_exit_1_with_the_error_and_metrics_count_it()
    {
        await using var bed = await TestBed.CreateAsync(nameof(A_sync_whose_last_run_failed_makes_status_exit_1_with_the_error_and_metrics_count_it), Tables,
            at => Config(at, TestSlots.Unique("accounts"), "cdc: false"), new SegmentEmulatorOptions { Port = 0, WriteKeys = ["the-right-key"] });
        await using (var workspace = bed.Workspace())
        {
            await Assert.ThrowsAnyAsync<SluiceException>(() => workspace.RunAsync("users_sync", RunKind.Incremental, null, default));
        }

        var error = (string)(await bed.ScalarAsync("SELECT error FROM sluice.runs"))!;
        await bed.ExecuteAsync(
            """
            INSERT INTO sluice.dead_letters (sync_id, run_id, record_key, reason)
            SELECT sync_id, id, k, 'refused' FROM sluice.runs, (VALUES ('1'), ('2')) AS keys(k)
            """);

        var (exit, output) = await bed.RunSluiceAsync("status", "-c", bed.ConfigPath);
        Assert.True(exit == 1, output);
        Assert.Contains("users_sync: last run failed", output, StringComparison.Ordinal);
        Assert.Contains(error[..Math.Min(40, error.Length)], output, StringComparison.Ordinal);

        var (jsonExit, json) = await bed.RunSluiceAsync("status", "-c", bed.ConfigPath, "--json");
        Assert.True(jsonExit == 1, json);
        using var document = JsonDocument.Parse(json);
        Assert.True(document.RootElement.GetProperty("needsAttention").GetBoolean(), json);
        var users = document.RootElement.GetProperty("syncs").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "users_sync");
        Assert.True(users.GetProperty("needsAttention").GetBoolean(), json);
        Assert.Equal("failed", users.GetProperty("lastRun").GetProperty("status").GetString());
        Assert.Equal(error, users.GetProperty("lastRun").GetProperty("error").GetString());
        Assert.Equal(2, users.GetProperty("deadLetters").GetInt64());

        var lines = await ScrapeAsync(bed);
        Assert.Equal("1", Value(lines, "sluice_sync_last_run_failed{sync=\"users_sync\"}"));
        Assert.Equal("1", Value(lines, "sluice_sync_runs_failed_total{sync=\"users_sync\"}"));
        Assert.Equal("2", Value(lines, "sluice_sync_dead_letters{sync=\"users_sync\"}"));
        Assert.Contains("# TYPE sluice_sync_runs_failed_total counter", lines);
    }

    [Fact]
    public async Task An_ingest_sync_shows_as_continuous_with_its_backlog_and_the_events_max_backlog_lost_for_it()
    {
        await using var bed = await TestBed.CreateAsync(nameof(An_ingest_sync_shows_as_continuous_with_its_backlog_and_the_events_max_backlog_lost_for_it), "SELECT 1",
            at => at.IngestToEventsTable("e2e-web-write-key-0123456789"));
        var received = DateTimeOffset.UtcNow - TimeSpan.FromMinutes(10);
        await using (var workspace = bed.Workspace())
        {
            _ = await workspace.StateAsync(default);
            await using var queue = new IngestQueue(bed.Db, "sluice");
            await queue.EnqueueAsync([.. Enumerable.Range(1, 5).Select(n => new IngestEvent("web", Guid.NewGuid(), IngestEventKind.Segment, "track", "E", received,
                System.Text.Encoding.UTF8.GetBytes($$"""{"type":"track","event":"E","userId":"u{{n}}"}""")))], default);
        }

        var (exit, output) = await bed.RunSluiceAsync("status", "-c", bed.ConfigPath, "--json");
        Assert.True(exit == 0, output);
        var sync = WebEvents(output);
        Assert.Equal("continuous", sync.GetProperty("schedule").GetString());
        Assert.Equal(5, sync.GetProperty("ingest").GetProperty("backlog").GetInt64());
        Assert.InRange(sync.GetProperty("ingest").GetProperty("oldestUnreadSeconds").GetDouble(), 9 * 60, 60 * 60);
        Assert.Equal(0, sync.GetProperty("ingest").GetProperty("lost").GetInt64());

        // Over the cap: the three oldest go before the sync read them, and are counted for it in the state store.
        await using (var queue = new IngestQueue(bed.Db, "sluice"))
        {
            await queue.PruneAsync(new IngestRetention("web", TimeSpan.FromDays(7), ["web_events"], MaxBacklog: 2), default);
        }

        (exit, output) = await bed.RunSluiceAsync("status", "-c", bed.ConfigPath, "--json");
        Assert.True(exit == 1, output);
        sync = WebEvents(output);
        Assert.True(sync.GetProperty("needsAttention").GetBoolean(), output);
        Assert.Equal(2, sync.GetProperty("ingest").GetProperty("backlog").GetInt64());
        Assert.Equal(3, sync.GetProperty("ingest").GetProperty("lost").GetInt64());

        var (textExit, text) = await bed.RunSluiceAsync("status", "-c", bed.ConfigPath);
        Assert.True(textExit == 1, text);
        Assert.Contains("continuous", text, StringComparison.Ordinal);
        Assert.Contains("web_events: 3 events of ingest source 'web' were deleted before it read them", text, StringComparison.Ordinal);

        var lines = await ScrapeAsync(bed);
        Assert.Equal("3", Value(lines, "sluice_ingest_events_lost_total{source=\"web\",sync=\"web_events\"}"));
        Assert.Equal("2", Value(lines, "sluice_ingest_backlog_events{source=\"web\",sync=\"web_events\"}"));
        Assert.True(double.Parse(Value(lines, "sluice_ingest_backlog_oldest_seconds{source=\"web\",sync=\"web_events\"}"), System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.Equal("1", Value(lines, "sluice_sync_info{sync=\"web_events\",schedule=\"continuous\"}"));
        Assert.Equal("0", Value(lines, "sluice_sync_last_run_failed{sync=\"web_events\"}"));

        static JsonElement WebEvents(string json) =>
            JsonDocument.Parse(json).RootElement.GetProperty("syncs").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "web_events").Clone();
    }

    /// <summary>What <c>/metrics</c> serves, rendered in this process from the same collector.</summary>
    private static async Task<string[]> ScrapeAsync(TestBed bed)
    {
        await using var collector = new Sluice.Server.Metrics.SyncHealthCollector(Sluice.Core.Configuration.SluiceConfig.Load(bed.ConfigPath), TimeProvider.System);
        return (await Sluice.Server.Metrics.PrometheusText.RenderAsync(await collector.CollectAsync(default))).Split('\n');
    }

    /// <summary>
    /// The value of <paramref name="series"/> (<c>name{label="value",…}</c>). A series is its name and its set of labels:
    /// the exposition format leaves their order to the exporter (OpenTelemetry's sorts them by name).
    /// </summary>
    private static string Value(string[] lines, string series)
    {
        var wanted = Series(series);
        var line = lines.Where(l => l.Length > 0 && l[0] != '#').SingleOrDefault(l => Series(l[..l.LastIndexOf(' ')]) == wanted);
        Assert.True(line is not null, $"no series {series} in:\n{string.Join('\n', lines)}");
        return line[(line.LastIndexOf(' ') + 1)..];

        // Label values in these tests hold no comma, quote or brace.
        static string Series(string text)
        {
            var open = text.IndexOf('{', StringComparison.Ordinal);
            return open < 0 ? text : text[..open] + "{" + string.Join(",", text[(open + 1)..^1].Split(',').Order(StringComparer.Ordinal)) + "}";
        }
    }

    private static string Config(TestBedEndpoints at, string cdcSync, string cdc, string usersSchedule = "manual") => $"""
        {at.Connections()}
        syncs:
          {cdcSync}:
            schedule: manual
            source:
              connection: app
              table: public.accounts
              {cdc}
            destination:
              connection: segment
              call: identify
            mapping:
              user_id: id
              traits:
                status: status
          users_sync:
            schedule: {usersSchedule}
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
        """;

    private static async Task<object?> CountSlotsAsync(TestBed bed, string name) =>
        await bed.ScalarAsync($"SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{name}'");

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
