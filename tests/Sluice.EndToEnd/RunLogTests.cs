using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Sluice.EndToEnd;

/// <summary><c>sluice run</c>'s log: ISO-8601 UTC timestamps and levels, as text or one JSON object per line.</summary>
public sealed partial class RunLogTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Run_logs_each_line_with_an_iso_timestamp_and_its_level()
    {
        await using var bed = await SyncTestBed.CreateAsync(nameof(Run_logs_each_line_with_an_iso_timestamp_and_its_level), 10, "schedule: every 1s");
        var lines = await RunUntilAsync(bed, [], l => l.Contains($"{SyncTestBed.SyncName}: run ", StringComparison.Ordinal));

        var dashboard = Assert.Single(lines, l => l.Contains("dashboard on http://127.0.0.1:", StringComparison.Ordinal));
        Assert.Matches(TextLine(), dashboard);
        Assert.Contains(" INFO  dashboard on ", dashboard, StringComparison.Ordinal);
        var run = lines.First(l => l.Contains($"{SyncTestBed.SyncName}: run ", StringComparison.Ordinal));
        Assert.Matches(TextLine(), run);
        Assert.Contains(" INFO  ", run, StringComparison.Ordinal);
        Assert.Contains("10 read, 10 acknowledged, 0 rejected in ", run, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_with_log_format_json_writes_one_json_object_per_line()
    {
        await using var bed = await SyncTestBed.CreateAsync(nameof(Run_with_log_format_json_writes_one_json_object_per_line), 10, "schedule: every 1s");
        var lines = await RunUntilAsync(bed, ["--log-format", "json"], l => l.Contains($"{SyncTestBed.SyncName}: run ", StringComparison.Ordinal));

        var logged = lines.Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        Assert.NotEmpty(logged);
        var run = logged.First(e => e.GetProperty("Message").GetString()!.StartsWith($"{SyncTestBed.SyncName}: run ", StringComparison.Ordinal));
        Assert.Equal("Information", run.GetProperty("LogLevel").GetString());
        Assert.Equal("Sluice.Server.Scheduling.SyncScheduler", run.GetProperty("Category").GetString());
        Assert.Equal(SyncTestBed.SyncName, run.GetProperty("State").GetProperty("Sync").GetString());
        Assert.Contains("10 read, 10 acknowledged, 0 rejected in ", run.GetProperty("Message").GetString(), StringComparison.Ordinal);
        var at = run.GetProperty("Timestamp").GetString()!;
        Assert.Matches(IsoUtc(), at);
        Assert.InRange(DateTimeOffset.Parse(at, CultureInfo.InvariantCulture), DateTimeOffset.UtcNow - Deadline - Deadline, DateTimeOffset.UtcNow);
    }

    /// <summary>Starts <c>sluice run</c> and returns every line it printed once one matches <paramref name="until"/>.</summary>
    private static async Task<IReadOnlyList<string>> RunUntilAsync(TestBed bed, string[] extra, Func<string, bool> until)
    {
        using var server = bed.StartSluice(["run", "-c", bed.ConfigPath, "--listen", $"http://127.0.0.1:{FreePort()}", .. extra]);
        var output = new ConcurrentQueue<string>();
        server.OutputDataReceived += (_, e) => output.Enqueue(e.Data ?? "");
        server.ErrorDataReceived += (_, e) => output.Enqueue(e.Data ?? "");
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        try
        {
            var deadline = DateTime.UtcNow + Deadline;
            while (!output.Any(until))
            {
                Assert.False(server.HasExited, $"sluice run exited early: {string.Join('\n', output)}");
                Assert.True(DateTime.UtcNow < deadline, $"no such line within {Deadline.TotalSeconds} s; it printed:\n{string.Join('\n', output)}");
                await Task.Delay(50);
            }

            return [.. output];
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (INFO |WARN |ERROR) \S")]
    private static partial Regex TextLine();

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")]
    private static partial Regex IsoUtc();
}
