using System.Globalization;
using Sluice.Bench.Harness;
using static Sluice.Bench.Harness.ReportFormat;

namespace Sluice.Bench.Cdc;

/// <summary>The result as a table on the console: one line per number, next to PostgreSQL's own decode rate.</summary>
internal static class CdcReport
{
    private const int Width = 100;

    public static void Print(CdcResult r)
    {
        var m = r.Machine;
        Console.WriteLine();
        Console.WriteLine($"cdc: {r.Updates:N0} row updates on {r.Users:N0} users ({r.PerTransaction} per transaction) -> logical replication -> sluice run -> Segment emulator (identify)");
        Console.WriteLine(new string('-', Width));
        Row("machine", $"{m.Processors} CPUs, {m.CpuModel}, {m.MemoryGigabytes:F1} GB", "");
        Row("", $"PostgreSQL {m.PostgresVersion}, {m.Runtime}", "");
        Row("", $"shared_buffers={Setting(m, "shared_buffers")} fsync={Setting(m, "fsync")} synchronous_commit={Setting(m, "synchronous_commit")} wal_level={Setting(m, "wal_level")}", "");
        Row("load", $"{r.LoadSeconds:F1} s", "");
        if (r.WorkloadSeconds > 0)
        {
            Row("workload", $"{r.WorkloadSeconds:F1} s", $"{r.Updates / r.WorkloadSeconds:N0} rows/s updated, asynchronous commit; ends at LSN {r.EndLsn}");
        }

        foreach (var run in r.DecodeRuns)
        {
            Row($"decode run {run.Run}", Rate(run.ChangesPerSecond), $"pg_recvlogical, pgoutput proto 1, to /dev/null ({run.Seconds:F2} s)");
        }

        if (r.Decode is { } decode)
        {
            Row("decode (faster)", Rate(decode.ChangesPerSecond), "PostgreSQL's own decode rate: the denominator");
        }

        if (r.Sluice is { } s)
        {
            Row("sluice sustained", Rate(s.SustainedPerSecond), $"first to last change received by the emulator ({s.DoneSeconds - s.FirstReceivedSeconds:F2} s)");
            Row("  ÷ decode", Percent(r.Ratio), Verdict(r.RatioTargetMet, $"target >= {CdcResult.RatioTarget * 100:F0}%"));
            Row("sluice from start", Rate(s.FromStartPerSecond), $"process start to the last change ({s.DoneSeconds:F2} s; first change at {s.FirstReceivedSeconds:F2} s)");
            Row("", "", $"{s.CpuSeconds:F1} s CPU, peak RSS {s.PeakRssMegabytes:N0} MB; emulator received {Count(s.Received)}, unique {Count(s.Unique)}" +
                (s.EmulatorCpuSeconds is { } e ? $", {e:F1} s CPU" : ""));
            if (r.Updates > 0)
            {
                // CPU per change is steadier than the wall-clock rate on a shared machine (issue 16).
                Row("CPU per change", $"{s.CpuSeconds * 1e6 / r.Updates,12:N1} µs", "sluice run's user + system time ÷ changes" +
                    (s.EmulatorCpuSeconds is { } ec ? $"; the emulator {ec * 1e6 / r.Updates:N1} µs" : ""));
            }
        }

        if (r.Latency is { } l)
        {
            var ms = l.Milliseconds;
            var target = l.Rate == CdcResult.LatencyTargetRate
                ? Verdict(r.LatencyTargetMet, $"target p50 < {CdcResult.P50TargetMilliseconds:F0} ms, p99 < {CdcResult.P99TargetMilliseconds:F0} ms")
                : $"targets apply at {CdcResult.LatencyTargetRate:N0} changes/s";
            Row($"latency @{l.Rate:N0}/s", ms is null ? "?" : $"p50 {ms.P50:F0} ms, p99 {ms.P99:F0} ms", target);
            Row("", "", $"max {ms?.Max:F0} ms; UPDATE issued -> emulator received, {l.Received:N0} of {l.Changes:N0} changes over {l.WriteSeconds:F1} s" +
                (l.Missing > 0 ? $", {l.Missing:N0} MISSING" : "") + $"; writer late by {l.LatestStartMilliseconds:F0} ms at worst");
        }

        if (r.Error is not null)
        {
            Console.WriteLine(new string('-', Width));
            Console.WriteLine($"FAILED: {r.Error}");
        }

        Console.WriteLine(new string('-', Width));
    }

    private static void Row(string name, string value, string note) => Console.WriteLine($"{name,-20} {value,-26} {note}".TrimEnd());

    private static string Rate(double perSecond) => $"{perSecond,12:N0} changes/s";
}
