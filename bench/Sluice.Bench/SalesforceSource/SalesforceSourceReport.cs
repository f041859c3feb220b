using System.Globalization;
using static Sluice.Bench.Harness.ReportFormat;

namespace Sluice.Bench.SalesforceSource;

/// <summary>The result as a table on the console.</summary>
internal static class SalesforceSourceReport
{
    public static void Print(SalesforceSourceResult r)
    {
        var m = r.Machine;
        Console.WriteLine();
        Console.WriteLine($"salesforce-source: {r.Rows:N0} Opportunities in the Salesforce emulator -> PostgreSQL");
        Console.WriteLine(new string('-', 110));
        Row("machine", $"{m.Processors} CPUs, {m.CpuModel}, {m.MemoryGigabytes:F1} GB", "");
        Row("", $"PostgreSQL {m.PostgresVersion}, {m.Runtime}", "");
        Row("", $"shared_buffers={Setting(m, "shared_buffers")} fsync={Setting(m, "fsync")} synchronous_commit={Setting(m, "synchronous_commit")}", "");
        Load("sluice load", r.Sluice);
        Load("jsforce + COPY", r.Jsforce);
        if (r.Ratio is { } ratio)
        {
            Row("sluice ÷ jsforce", $"{ratio,10:F2}×", Verdict(r.RatioTargetMet, $"target >= {SalesforceSourceResult.RatioTarget:F1}×; rows/s, process start to exit"));
        }

        if (r.Sluice is { } sluice && r.Jsforce is { } jsforce)
        {
            // The load's cost that a loaded machine does not distort: the client process's user+system CPU per row.
            Row("CPU per record", string.Create(CultureInfo.InvariantCulture, $"{sluice.CpuMicrosecondsPerRow,9:F1} µs"),
                string.Create(CultureInfo.InvariantCulture, $"sluice load; jsforce + COPY {jsforce.CpuMicrosecondsPerRow:F1} µs (client process user+system CPU / rows)"));
        }

        if (r.TableDifferences is { } differences)
        {
            Row("tables equal", differences == 0 ? "yes" : "NO", differences == 0 ? "every row of both loads, every column" : $"{differences:N0} rows differ");
        }

        if (r.Latency is { } l)
        {
            Row("change p50", string.Create(CultureInfo.InvariantCulture, $"{l.P50Ms,10:N0} ms"), $"{l.Heard:N0} of {l.Changes:N0} changes heard, made at {l.AchievedRate:F0}/s over {r.Followed:N0} Opportunities");
            Row("change p95", string.Create(CultureInfo.InvariantCulture, $"{l.P95Ms,10:N0} ms"), Verdict(r.LatencyTargetMet, $"target < {SalesforceSourceResult.P95TargetMs:N0} ms; emulator commit (SystemModstamp) to the row visible in PostgreSQL (NOTIFY at commit)"));
            Row("", "", string.Create(CultureInfo.InvariantCulture, $"p99 {l.P99Ms:N0} ms, max {l.MaxMs:N0} ms, mean {l.MeanMs:N0} ms; sync CPU {l.CpuSeconds:F1} s ({l.CpuMillisecondsPerChange:F2} ms/change)"));
        }

        Row("correct", r.Correct switch { true => "yes", false => "NO", null => "?" }, "both loads hold every Opportunity, the same rows; every change heard");
        if (r.Error is not null)
        {
            Console.WriteLine(new string('-', 110));
            Console.WriteLine($"FAILED: {r.Error}");
        }

        Console.WriteLine(new string('-', 110));
    }

    private static void Load(string name, SourceLoad? load)
    {
        if (load is null)
        {
            return;
        }

        Row(name, $"{load.RowsPerSecond,12:N0} rows/s",
            string.Create(CultureInfo.InvariantCulture, $"{load.WallSeconds:F2} s wall, {load.CpuSeconds:F1} s CPU ({load.CpuMicrosecondsPerRow:F1} µs/row), peak RSS {load.PeakRssMegabytes:N0} MB, {load.Rows:N0} rows"));
    }

    private static void Row(string name, string value, string note) => Console.WriteLine($"{name,-16} {value,-22} {note}".TrimEnd());
}
