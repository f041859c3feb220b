using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Sluice.State.Ingest;

namespace Sluice.EndToEnd;

/// <summary><c>sluice run</c>: scheduled syncs and the dashboard, as a long-running process.</summary>
public sealed class ServerTests
{
    [Fact]
    public async Task Run_syncs_on_schedule_and_the_dashboard_shows_the_runs()
    {
        await using var bed = await SyncTestBed.CreateAsync(nameof(Run_syncs_on_schedule_and_the_dashboard_shows_the_runs), 1_000, "schedule: every 1s");
        var port = FreePort();
        using var server = bed.StartSluice("run", "-c", bed.ConfigPath, "--listen", $"http://127.0.0.1:{FreePort()}", "--admin-listen", $"http://127.0.0.1:{port}");
        var drain = Task.WhenAll(server.StandardOutput.ReadToEndAsync(), server.StandardError.ReadToEndAsync());
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
            await WaitUntilAsync(() => bed.Emulator.Stats.Unique == 1_000, server);

            // A change made while the server runs is picked up by the next scheduled run.
            await bed.ScalarAsync("UPDATE users SET plan = 'enterprise', updated_at = now() WHERE id = 500");
            await WaitUntilAsync(() => bed.Emulator.Stats.Unique == 1_001, server);

            using var syncs = JsonDocument.Parse(await http.GetStringAsync("/api/syncs"));
            var sync = Assert.Single(syncs.RootElement.EnumerateArray());
            Assert.Equal(SyncTestBed.SyncName, sync.GetProperty("name").GetString());
            Assert.Equal(1_001, sync.GetProperty("totalAcknowledged").GetInt64());

            var page = await http.GetStringAsync("/");
            Assert.Contains(SyncTestBed.SyncName, page, StringComparison.Ordinal);
            Assert.Contains("every 1s", page, StringComparison.Ordinal);
            Assert.Contains("succeeded", page, StringComparison.Ordinal);
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
            await drain;
        }
    }

    [Fact]
    public async Task The_dashboard_shows_an_ingest_sync_as_continuous_with_the_events_lost_for_it()
    {
        await using var bed = await TestBed.CreateAsync(nameof(The_dashboard_shows_an_ingest_sync_as_continuous_with_the_events_lost_for_it), "SELECT 1", at => at.IngestToEventsTable("e2e-web-write-key-0123456789"));
        // Before the server started, five events came and max_backlog 2 deleted three of them unread.
        await using (var workspace = bed.Workspace())
        {
            _ = await workspace.StateAsync(default);
            await using var queue = new IngestQueue(bed.Db, "sluice");
            await queue.EnqueueAsync([.. Enumerable.Range(1, 5).Select(n => new IngestEvent("web", Guid.NewGuid(), IngestEventKind.Segment, "track", "E", DateTimeOffset.UtcNow,
                System.Text.Encoding.UTF8.GetBytes($$"""{"type":"track","event":"E","userId":"u{{n}}"}""")))], default);
            await queue.PruneAsync(new IngestRetention("web", TimeSpan.FromDays(7), ["web_events"], MaxBacklog: 2), default);
        }

        var port = FreePort();
        using var server = bed.StartSluice("run", "-c", bed.ConfigPath, "--listen", $"http://127.0.0.1:{FreePort()}", "--admin-listen", $"http://127.0.0.1:{port}");
        var drain = Task.WhenAll(server.StandardOutput.ReadToEndAsync(), server.StandardError.ReadToEndAsync());
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
            string? page = null;
            await WaitUntilAsync(() =>
            {
                try
                {
                    page = http.GetStringAsync("/").GetAwaiter().GetResult();
                    return page.Contains("web_events", StringComparison.Ordinal);
                }
                catch (HttpRequestException)
                {
                    return false; // not listening yet
                }
            }, server);

            Assert.Contains("continuous", page, StringComparison.Ordinal);
            Assert.Contains("3 events of ingest source &#39;web&#39; were deleted before this sync read them", page, StringComparison.Ordinal);
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
            await drain;
        }
    }

    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task Run_stops_cleanly_with_exit_code_0_on_a_stop_signal(string signal)
    {
        await using var bed = await SyncTestBed.CreateAsync(nameof(Run_stops_cleanly_with_exit_code_0_on_a_stop_signal) + signal, 10, "schedule: every 1s");
        using var server = bed.StartSluice("run", "-c", bed.ConfigPath, "--listen", $"http://127.0.0.1:{FreePort()}");
        var output = Task.WhenAll(server.StandardOutput.ReadToEndAsync(), server.StandardError.ReadToEndAsync());
        await WaitUntilAsync(() => bed.Emulator.Stats.Unique == 10, server);

        using (var kill = System.Diagnostics.Process.Start("kill", [$"-{signal}", server.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var stopped = await server.WaitForExitAsync(timeout.Token).ContinueWith(wait => wait.IsCompletedSuccessfully, TaskScheduler.Default);
        if (!stopped)
        {
            // Killed only to read what it printed: the assertion below reports the hang.
            server.Kill(entireProcessTree: true);
        }

        var printed = string.Concat(await output);
        Assert.True(stopped, $"sluice run did not stop within 20 s of SIG{signal}; it printed:\n{printed}");
        Assert.True(server.ExitCode == 0, printed);
        Assert.Equal(0L, await bed.ScalarAsync("SELECT count(*) FROM sluice.runs WHERE status = 'running'"));
    }

    private static async Task WaitUntilAsync(Func<bool> condition, System.Diagnostics.Process server)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            Assert.False(server.HasExited, "sluice run exited early");
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the scheduled run");
            await Task.Delay(50);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
