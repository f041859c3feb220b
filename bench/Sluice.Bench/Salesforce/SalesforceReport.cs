using System.Globalization;
using static Sluice.Bench.Harness.ReportFormat;

namespace Sluice.Bench.Salesforce;

/// <summary>The result as a table on the console.</summary>
internal static class SalesforceReport
{
    public static void Print(SalesforceResult r)
    {
        var m = r.Machine;
        Console.WriteLine();
        Console.WriteLine($"salesforce: {r.Rows:N0} PostgreSQL rows -> Account upsert by External_Id__c into the Salesforce emulator");
        Console.WriteLine(new string('-', 110));
        Row("machine", $"{m.Processors} CPUs, {m.CpuModel}, {m.MemoryGigabytes:F1} GB", "");
        Row("", $"PostgreSQL {m.PostgresVersion}, {m.Runtime}", "");
        Row("", $"shared_buffers={Setting(m, "shared_buffers")} fsync={Setting(m, "fsync")} synchronous_commit={Setting(m, "synchronous_commit")}", "");
        Row("load", $"{r.LoadSeconds:F1} s", $"accounts table; CSV for jsforce {r.CsvBytes / 1048576.0:F1} MB");
        Load("sluice bulk", r.Bulk);
        Load("sluice collect.", r.Collections);
        Load("jsforce bulk2", r.Jsforce);
        if (r.BulkRatio is { } ratio)
        {
            Row("bulk ÷ jsforce", $"{ratio,10:F2}×", Verdict(r.RatioTargetMet, $"target >= {SalesforceResult.RatioTarget:F1}×; Sluice's Bulk path, reading PostgreSQL included, vs jsforce from a ready CSV"));
        }

        if (r.Bulk is { } bulk)
        {
            Row("bulk requests", $"{bulk.ApiRequests,10}", Verdict(r.RequestsTargetMet, $"target <= {r.RequestsAllowed} for {r.Rows:N0} rows ({SalesforceResult.RequestsPer100kTarget} per 100,000)"));
        }

        if (r.Incremental is { } run)
        {
            Row("incremental", $"{run.WallSeconds,10:F2} s", Verdict(r.IncrementalTargetMet, $"target < {SalesforceResult.IncrementalTargetSeconds:F0} s; {r.Changed:N0} changed rows, sync start to exit"));
            Row("", "", string.Create(CultureInfo.InvariantCulture, $"{run.ApiRequests} API requests ({Calls(run)}), {run.CpuSeconds:F1} s CPU ({run.CpuMicrosecondsPerRecord:F0} µs per record; emulator {run.EmulatorCpuMicrosecondsPerRecord:F0} µs), peak RSS {run.PeakRssMegabytes:N0} MB"));
            Row("", "", string.Create(CultureInfo.InvariantCulture, $"first request at +{run.FirstRequestSeconds:F2} s, last at +{run.LastRequestSeconds:F2} s after process start; {(run.Problem is null ? "all Accounts as expected" : run.Problem)}"));
        }

        Row("correct", r.Correct switch { true => "yes", false => "NO", null => "?" },
            "every run: exactly one Account per row with the row's values, every record acknowledged");
        if (r.Error is not null)
        {
            Console.WriteLine(new string('-', 110));
            Console.WriteLine($"FAILED: {r.Error}");
        }

        Console.WriteLine(new string('-', 110));
    }

    private static void Load(string name, LoadRun? run)
    {
        if (run is null)
        {
            return;
        }

        Row(name, $"{run.RecordsPerSecond,12:N0} rows/s",
            $"{run.WallSeconds:F2} s wall, {run.CpuSeconds:F1} s CPU, peak RSS {run.PeakRssMegabytes:N0} MB, {run.ApiRequests} API requests + {run.Logins} login");
        Row("", "", string.Create(CultureInfo.InvariantCulture, $"CPU per record {run.CpuMicrosecondsPerRecord:F1} µs (the process's user + system time ÷ {run.Records:N0} records)"));
        Row("", "", string.Create(CultureInfo.InvariantCulture, $"emulator CPU per record {run.EmulatorCpuMicrosecondsPerRecord:F1} µs ({run.EmulatorCpuSeconds:F1} s during the run)"));
        Row("", "", $"{Calls(run)}");
        Row("", "", string.Create(CultureInfo.InvariantCulture, $"first request at +{run.FirstRequestSeconds:F2} s, last at +{run.LastRequestSeconds:F2} s after process start"));
        Row("", "", $"{Count(run.Acknowledged)} acknowledged, {run.AccountsHeld:N0} Accounts held{(run.Problem is null ? ", all as expected" : ": " + run.Problem)}");
    }

    private static string Calls(LoadRun run) => string.Join(", ", run.Calls.Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Value}× {c.Key}")));

    private static void Row(string name, string value, string note) => Console.WriteLine($"{name,-16} {value,-22} {note}".TrimEnd());
}
