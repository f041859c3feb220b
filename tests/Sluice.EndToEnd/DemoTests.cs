using System.Diagnostics;
using Sluice.Testing;

namespace Sluice.EndToEnd;

/// <summary>The set-up contract: <c>sluice demo --once</c> on a machine with nothing prepared.</summary>
public sealed class DemoTests
{
    [Fact]
    public async Task Demo_once_builds_everything_syncs_and_exits_0_and_a_second_run_sends_only_new_activity()
    {
        var home = Path.Combine(Path.GetTempPath(), $"sluice-demo-test-{Guid.NewGuid():N}");
        // The demo starts a cluster of its own, which outlives a demo that fails or is killed half-way.
        var cluster = Path.Combine(home, "demo", "pgdata");
        ClusterShutdown.StopWithThisProcess(cluster, home);
        await CleanUp.AfterAsync(async () =>
        {
            var (exit, output) = await RunDemoAsync(home);
            Assert.True(exit == 0, output);
            Assert.Contains("2,000 users", output, StringComparison.Ordinal);
            Assert.Matches(@"identify events sent and acknowledged\s*\S?\s*2,000", output);
            Assert.Matches(@"identify calls seen by the Segment emulator \(unique messageIds\)\s*\S?\s*2,000", output);
            AssertRealTime(output);
            Assert.False(File.Exists(Path.Combine(cluster, "postmaster.pid")), "--once stops the cluster it started");

            var (again, second) = await RunDemoAsync(home);
            Assert.True(again == 0, second);
            Assert.Contains("users changed by simulated activity", second, StringComparison.Ordinal);
            Assert.Matches(@"rows read from public.users\s*\S?\s*50\b", second);
            AssertRealTime(second);
        }, () => ClusterShutdown.StopAndRemoveAsync(cluster, home));
    }

    /// <summary>The ingest API's events landed in both layouts, and every upgrade reached Segment from the WAL.</summary>
    private static void AssertRealTime(string output)
    {
        Assert.Matches(@"website events sent to the ingest API \(page, identify, track\)\s*\S?\s*60\b", output);
        Assert.Matches(@"landed in public\.events\s*\S?\s*60\b", output);
        Assert.Matches(@"landed in web\.pages / identifies / tracks\s*\S?\s*20 / 20 / 20\b", output);
        var upgraded = System.Text.RegularExpressions.Regex.Match(output, @"users upgraded trial → paid\s*\S?\s*(\d+)");
        var tracked = System.Text.RegularExpressions.Regex.Match(output, @"Subscription Upgraded tracks from the WAL\s*\S?\s*(\d+)");
        Assert.True(upgraded.Success && tracked.Success, output);
        Assert.True(int.Parse(tracked.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= int.Parse(upgraded.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), output);
    }

    private static async Task<(int ExitCode, string Output)> RunDemoAsync(string home)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "sluice.dll"), "demo", "--once", "--users", "2000" })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["SLUICE_HOME"] = home;
        start.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.Fail($"sluice demo did not finish within 3 minutes:\n{await stdout}{await stderr}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
