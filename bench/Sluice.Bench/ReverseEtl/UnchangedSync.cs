using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Sluice.Bench.Harness;

namespace Sluice.Bench.ReverseEtl;

/// <summary>
/// <c>sluice sync</c> again after the full sync, with nothing changed: the fixed cost of one run (process start, JIT,
/// config, state store, discovery, an empty read, exit), against issue 16's target of under 0.5 s wall. Each run goes
/// through <c>bash</c>, whose <c>times</c> gives the child's exact user+system CPU after it was reaped (polling
/// <c>/proc</c> misses most of a process this short).
/// </summary>
internal static partial class UnchangedSync
{
    public const double WallTargetSeconds = 0.5;
    private const int Runs = 5;

    /// <summary>Runs the incremental sync <see cref="Runs"/> times; a run that sent anything fails the bench.</summary>
    public static async Task<UnchangedMeasurement> MeasureAsync(string sluice, string syncName, string configPath, string work, string stem, Func<Task<long?>> received, CancellationToken ct)
    {
        var before = await received();
        var runs = new List<UnchangedRun>();
        for (var run = 1; run <= Runs; run++)
        {
            var times = Path.Combine(work, $"unchanged-{run}.times");
            var clock = Stopwatch.StartNew();
            await using (var sync = ChildProcess.Start("bash", ["-c", "\"$@\"; code=$?; times > " + times + "; exit $code", "bash", sluice, "sync", syncName, "-c", configPath], work, $"{stem}.unchanged-{run}.log"))
            {
                await sync.WaitForExitAsync(ct);
                var wall = clock.Elapsed.TotalSeconds;
                if (sync.ExitCode != 0)
                {
                    throw new BenchFailure($"the unchanged sluice sync exited with {sync.ExitCode}; last lines of {sync.LogPath}:\n{sync.Tail()}");
                }

                runs.Add(new UnchangedRun(run, wall, ChildCpuSeconds(await File.ReadAllTextAsync(times, ct))));
            }

            Console.WriteLine($"unchanged    run {run}: {runs[^1].WallSeconds:F3} s wall, {runs[^1].CpuSeconds:F3} s CPU");
        }

        var after = await received();
        if (after != before)
        {
            throw new BenchFailure($"an unchanged sync sent something: the emulator received {before} events before and {after} after");
        }

        var median = runs.OrderBy(r => r.WallSeconds).ElementAt(Runs / 2);
        return new UnchangedMeasurement(runs, median.WallSeconds, runs.OrderBy(r => r.CpuSeconds).ElementAt(Runs / 2).CpuSeconds);
    }

    /// <summary>The second line of bash's <c>times</c>: the reaped children's user and system time, <c>0m0.412s 0m0.071s</c>.</summary>
    private static double ChildCpuSeconds(string times)
    {
        var lines = times.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var total = 0.0;
        foreach (Match m in Duration().Matches(lines[^1]))
        {
            total += double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) * 60 + double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        }

        return total;
    }

    [GeneratedRegex(@"(\d+)m([\d.]+)s")]
    private static partial Regex Duration();
}

/// <summary>One unchanged <c>sluice sync</c>: wall time from start to exit, and its user+system CPU.</summary>
internal sealed record UnchangedRun(int Run, double WallSeconds, double CpuSeconds);

/// <summary>The unchanged runs and their medians.</summary>
internal sealed record UnchangedMeasurement(IReadOnlyList<UnchangedRun> Runs, double MedianWallSeconds, double MedianCpuSeconds)
{
    public bool TargetMet => MedianWallSeconds < UnchangedSync.WallTargetSeconds;
}
