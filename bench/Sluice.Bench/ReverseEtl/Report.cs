using Sluice.Bench.Harness;
using static Sluice.Bench.Harness.ReportFormat;

namespace Sluice.Bench.ReverseEtl;

/// <summary>The result as a table on the console.</summary>
internal static class Report
{
    public static void Print(ReverseEtlResult r)
    {
        var m = r.Machine;
        Console.WriteLine();
        Console.WriteLine($"reverse-etl: {r.Users:N0} users, PostgreSQL -> sluice sync (identify) -> Segment emulator");
        Console.WriteLine(new string('-', 78));
        Row("machine", $"{m.Processors} CPUs, {m.CpuModel}, {m.MemoryGigabytes:F1} GB", "");
        Row("", $"PostgreSQL {m.PostgresVersion}, {m.Runtime}", "");
        Row("", $"shared_buffers={Setting(m, "shared_buffers")} fsync={Setting(m, "fsync")} synchronous_commit={Setting(m, "synchronous_commit")}", "");
        Row("load", $"{r.LoadSeconds:F1} s", "");
        if (r.Raw is { } raw)
        {
            foreach (var run in r.RawRuns.Where(x => x.Run == 2))
            {
                Row($"raw COPY {run.Format}", $"{run.RowsPerSecond,12:N0} rows/s", "");
            }

            Row("raw (faster)", $"{raw.RowsPerSecond,12:N0} rows/s", raw.Format);
        }

        if (r.Sync is { } sync)
        {
            Row("sluice sync", $"{sync.RowsPerSecond,12:N0} rows/s", $"{sync.WallSeconds:F1} s wall, {sync.CpuSeconds:F1} s CPU");
            Row("CPU per row", $"{sync.CpuSeconds * 1e6 / r.Users,12:F2} us", "sync process user+system / users, start-up included");
            if (sync.EmulatorCpuSeconds is { } emulatorCpu)
            {
                Row("  emulator", $"{emulatorCpu * 1e6 / r.Users,12:F2} us", "Segment emulator's CPU while the sync ran / users (shares the cores)");
            }

            if (sync.PostgresCpuSeconds is { } postgresCpu)
            {
                Row("  PostgreSQL", $"{postgresCpu * 1e6 / r.Users,12:F2} us", "the cluster's CPU while the sync ran / users: rows read, state commits");
            }

            Row("ratio", $"{r.Ratio * 100,11:F1}%", Verdict(r.RatioTargetMet, $"target >= {ReverseEtlResult.RatioTarget * 100:F0}%"));
            Row("peak RSS", $"{sync.PeakRssMegabytes,9:N0} MB", Verdict(r.PeakRssTargetMet, $"target < {ReverseEtlResult.PeakRssTargetMegabytes:N0} MB"));
            Row("delivered", $"received {Count(sync.Received)}, unique {Count(sync.Unique)}", Verdict(r.AllDelivered, $"expected {r.Users:N0} unique"));
            if (sync.Unchanged is { } unchanged)
            {
                Row("unchanged sync", $"{unchanged.MedianWallSeconds,9:F2} s wall", $"{unchanged.MedianCpuSeconds:F2} s CPU (median of {unchanged.Runs.Count}); "
                    + Verdict(unchanged.TargetMet, $"target < {UnchangedSync.WallTargetSeconds:F1} s"));
            }
        }

        if (r.Error is not null)
        {
            Console.WriteLine(new string('-', 78));
            Console.WriteLine($"FAILED: {r.Error}");
        }

        Console.WriteLine(new string('-', 78));
    }

    private static void Row(string name, string value, string note) => Console.WriteLine($"{name,-16} {value,-34} {note}".TrimEnd());
}
