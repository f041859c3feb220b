using System.Globalization;
using Sluice.Bench.Harness;
using static Sluice.Bench.Harness.ReportFormat;

namespace Sluice.Bench.Diff;

/// <summary>The result as a table on the console.</summary>
internal static class DiffReport
{
    public static void Print(DiffResult r)
    {
        var m = r.Machine;
        Console.WriteLine();
        Console.WriteLine($"diff: query source over {r.Rows:N0} users, {r.Changed:N0} changed between runs -> Segment emulator (identify)");
        Console.WriteLine(new string('-', 96));
        Row("machine", $"{m.Processors} CPUs, {m.CpuModel}, {m.MemoryGigabytes:F1} GB", "");
        Row("", $"PostgreSQL {m.PostgresVersion}, {m.Runtime}", "");
        Row("", $"shared_buffers={Setting(m, "shared_buffers")} fsync={Setting(m, "fsync")} synchronous_commit={Setting(m, "synchronous_commit")}", "");
        Row("load", $"{r.LoadSeconds:F1} s", "");
        if (r.Raw is { } raw)
        {
            Row("raw COPY", $"{raw.RowsPerSecond,12:N0} rows/s", $"{raw.Format}, warm, the query's columns ({raw.Seconds:F2} s)");
        }

        if (r.RawSorted is { } sorted)
        {
            Row("raw COPY sorted", $"{sorted.RowsPerSecond,12:N0} rows/s", $"ORDER BY id::text COLLATE \"C\", what a merge by key text reads; a bigint key is read unsorted ({sorted.Seconds:F2} s)");
        }

        if (r.First is { } first)
        {
            Row("first run", $"{r.Rows / first.WallSeconds,12:N0} rows/s", $"{first.WallSeconds:F1} s wall, {first.CpuSeconds:F1} s CPU, {Count(first.Acknowledged)} acknowledged, peak RSS {first.PeakRssMegabytes:N0} MB");
            Row("", $"{r.FirstCpuMicrosPerRow,9:F2} µs/row", "CPU per record: sluice's user + system time ÷ rows");
        }

        if (r.First is not null)
        {
            Row("update", $"{r.UpdateSeconds,10:F1} s", $"one UPDATE of {r.Changed:N0} rows");
            Row("settle", $"{r.SettleSeconds,10:F1} s", "VACUUM (ANALYZE) of the first run's ledger, as autovacuum would before a later run");
        }

        if (r.Plan is { } plan)
        {
            var rate = plan.EngineSeconds is { } s && s > 0 ? $"{r.Rows / s,12:N0} rows/s" : "?";
            Row("sluice plan", rate, $"{Seconds(plan.EngineSeconds)} diff+encode, {plan.WallSeconds:F2} s wall; would send {Count(plan.Read)}");
            Row("", $"{r.PlanCpuMicrosPerRow,9:F2} µs/row", $"CPU per record: {plan.CpuSeconds:F2} s CPU ÷ rows of the source");
            Row("", $"{r.PlanPostgresCpuMicrosPerRow,9:F2} µs/row", $"PostgreSQL's CPU per record: {plan.PostgresCpuSeconds:F2} s, the whole cluster (autovacuum included)");
        }

        if (r.Incremental is { } run)
        {
            Row("incremental", $"{run.WallSeconds,10:F2} s", Verdict(r.IncrementalTargetMet, $"target < {DiffResult.IncrementalTargetSeconds:F0} s; start to exit, all {r.Changed:N0} acknowledged"));
            Row("", "", $"{Seconds(run.EngineSeconds)} in the run, {run.CpuSeconds:F1} s CPU, peak RSS {run.PeakRssMegabytes:N0} MB, {Count(run.Acknowledged)} acknowledged");
            Row("", $"{r.IncrementalCpuMicrosPerRow,9:F2} µs/row", "CPU per record: the run's CPU (start-up and sending included) ÷ rows of the source");
            Row("", $"{r.IncrementalPostgresCpuMicrosPerRow,9:F2} µs/row", $"PostgreSQL's CPU per record: {run.PostgresCpuSeconds:F2} s, the whole cluster (autovacuum included)");
            Row("diff scan", $"{r.ScanRowsPerSecond,12:N0} rows/s", $"{r.Rows:N0} rows compared ÷ the run's own time (keys by xmin, changed rows fetched: a table-shaped query)");
            Row("scan ÷ raw", $"{r.ScanRatio * 100,11:F1}%", Verdict(r.ScanRatioTargetMet, $"target >= {DiffResult.ScanRatioTarget * 100:F0}%"));
            Row("delivered", $"unique {Count(run.EmulatorUnique)}", Verdict(r.Correct, $"expected {r.Rows + (long)r.Changed:N0} unique, {r.Changed:N0} in the second run"));
        }

        if (r.Error is not null)
        {
            Console.WriteLine(new string('-', 96));
            Console.WriteLine($"FAILED: {r.Error}");
        }

        Console.WriteLine(new string('-', 96));
    }

    private static void Row(string name, string value, string note) => Console.WriteLine($"{name,-16} {value,-22} {note}".TrimEnd());

    private static string Seconds(double? value) => value is { } v ? v.ToString("0.00 's'", CultureInfo.InvariantCulture) : "? s";
}
