using Sluice.Bench.Harness;
using static Sluice.Bench.Harness.ReportFormat;

namespace Sluice.Bench.Records;

/// <summary>The result as a table on the console, with Grouparoo's published numbers for scale.</summary>
internal static class RecordsReport
{
    public static void Print(RecordsResult r)
    {
        var m = r.Machine;
        Console.WriteLine();
        Console.WriteLine($"records: {r.Customers:N0} customers, {r.Orders:N0} orders -> model (5 properties, 2 aggregations) -> records export + high_value group");
        Console.WriteLine(new string('-', 96));
        Row("machine", $"{m.Processors} CPUs, {m.CpuModel}, {m.MemoryGigabytes:F1} GB", "");
        Row("", $"PostgreSQL {m.PostgresVersion}, {m.Runtime}", "");
        Row("", $"shared_buffers={Setting(m, "shared_buffers")} work_mem={Setting(m, "work_mem")} fsync={Setting(m, "fsync")} synchronous_commit={Setting(m, "synchronous_commit")}", "");
        Row("load", $"{r.LoadSeconds:F1} s", "");
        if (r.Copy is { } copy)
        {
            Row("COPY (binary)", $"{copy.RowsPerSecond,12:N0} rows/s", $"{copy.Seconds:F2} s: the model's result, app -> empty copy of the table; PostgreSQL {r.CopyPostgresCpuSeconds:F2} s CPU");
        }

        if (r.First is { } first)
        {
            Row("first sync", $"{first.RecordsPerSecond,12:N0} records/s", $"{first.WallSeconds:F2} s wall ({first.EngineSeconds:F2} s run, {first.CpuSeconds:F1} s CPU)");
            Row("", "", Verdict(r.FirstTargetMet, $"target < {RecordsResult.FirstSyncTargetSecondsFor(r.Customers):F0} s"));
            Row("CPU per record", $"{first.CpuMicrosecondsPerRecord,9:F1} us", "first sync: sluice's user + system CPU / records (comparable under load; wall time is not)");
            Row("PostgreSQL CPU", $"{first.PostgresCpuSeconds,9:F2} s", "first sync: the cluster's CPU from process start to exit (both databases, every backend)");
            Row("vs COPY", Percent(r.CopyRatio), Verdict(r.CopyRatioTargetMet, $"target >= {RecordsResult.CopyRatioTarget * 100:F0}%"));
        }

        if (r.ChangedCustomers is { } changed)
        {
            Row($"{changed.Records:N0} changed", $"{changed.WallSeconds,9:F2} s", Verdict(r.ChangedTargetMet, $"target < {RecordsResult.ChangedTargetSeconds:F0} s from process start") + $"; {changed.EngineSeconds:F2} s run, {changed.CpuSeconds:F2} s CPU");
        }

        if (r.NewOrdersRun is { } orders)
        {
            Row($"{r.NewOrders:N0} orders", $"{orders.WallSeconds,9:F2} s", $"{orders.Records:N0} customers recomputed and written; {orders.EngineSeconds:F2} s run, {orders.CpuSeconds:F2} s CPU");
        }

        if (r.PeakRssMegabytes is { } rss)
        {
            Row("peak RSS", $"{rss,9:N0} MB", Verdict(r.PeakRssTargetMet, $"target < {RecordsResult.PeakRssTargetMegabytes:N0} MB"));
        }

        if (r.Correct is { } correct)
        {
            Row("correct", correct ? "yes" : "NO", "destination = model result, EXCEPT both ways, rows and group memberships, after each run");
        }

        Row("Grouparoo", $"{RecordsResult.GrouparooFirstSeconds:N0} s", "100,000 rows table -> table (0.9.0, 2 vCPU, published in issue 12)");
        Row("", $"{RecordsResult.GrouparooChangedSeconds:N0} s", "1,000 changed rows");
        if (r.Error is not null)
        {
            Console.WriteLine(new string('-', 96));
            Console.WriteLine($"FAILED: {r.Error}");
        }

        Console.WriteLine(new string('-', 96));
    }

    private static void Row(string name, string value, string note) => Console.WriteLine($"{name,-16} {value,-28} {note}".TrimEnd());
}
