using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Sluice.Bench.Diff;
using Sluice.Bench.Harness;

namespace Sluice.Bench.Salesforce;

/// <summary>
/// PostgreSQL <c>accounts</c> → Account upsert by external id into <c>sluice emulate salesforce</c>, three ways on the
/// same machine in one run: Sluice's Bulk API 2.0 path, Sluice's sObject Collections path, and jsforce's own
/// <c>bulk2</c> upsert of the same rows from a ready CSV; each into a fresh emulator, each checked record by record.
/// Then 1,000 changed rows through an incremental <c>sluice sync</c>, timed from process start to exit.
/// </summary>
internal static class SalesforceBenchmark
{
    private const string BulkSync = "accounts_bulk";
    private const string CollectionsSync = "accounts_collections";

    /// <summary>The bulk sync's threshold: the destination's default. The full load's batch is far above it; 1,000 changes are below it.</summary>
    private const int BulkThreshold = 2_000;

    /// <summary>Runs with at most this many requests keep each one's time in the results (the Bulk path's few; not Collections' hundreds).</summary>
    private const int MaxTimeline = 40;

    private static readonly TimeSpan RssPollInterval = TimeSpan.FromMilliseconds(50);

    public static async Task<int> RunAsync(SalesforceOptions options, CancellationToken ct)
    {
        await using var session = await BenchSession.StartAsync("salesforce", options.SluiceBinary, options.Keep, ct);
        var result = new SalesforceResult
        {
            StartedAt = session.StartedAt,
            Rows = options.Rows,
            Changed = options.Changed,
            SluiceBinary = session.Sluice,
            Machine = await MachineInfo.CollectAsync(session.Db, ct),
        };

        try
        {
            result = await MeasureAsync(session, result, ct);
        }
        catch (BenchFailure e)
        {
            result = result with { Error = e.Message };
        }

        SalesforceReport.Print(result);
        Console.WriteLine($"results      {await ResultsFile.WriteAsync(session.Stem, result, ct)}");
        return result.Error is not null || result.Correct is not true ? 1
            : result.RatioTargetMet is false || result.RequestsTargetMet is false || result.IncrementalTargetMet is false ? 2
            : 0;
    }

    private static async Task<SalesforceResult> MeasureAsync(BenchSession session, SalesforceResult result, CancellationToken ct)
    {
        var (sluice, work, stem, rows) = (session.Sluice, session.Work, session.Stem, result.Rows);
        var load = await AccountRows.LoadAsync(session.Db, rows, ct);
        Console.WriteLine($"load         {rows:N0} accounts in {load:F1} s (binary COPY, VACUUM (ANALYZE), CHECKPOINT)");
        var csv = Path.Combine(work, "accounts.csv");
        var clock = Stopwatch.StartNew();
        var csvBytes = await AccountRows.WriteCsvAsync(csv, rows, ct);
        Console.WriteLine($"csv          {csv}: {csvBytes / 1048576.0:F1} MB in {clock.Elapsed.TotalSeconds:F1} s");
        result = result with { LoadSeconds = load, CsvBytes = csvBytes };

        var nodeFolder = Path.Combine(RepoRoot.Find(), "bench", "Sluice.Bench", "Salesforce", "node");
        await NpmFolder.EnsureInstalledAsync(nodeFolder, stem + ".npm.log", ct);

        var org = Path.Combine(work, "org.yaml");
        await File.WriteAllTextAsync(org, SalesforceEmulatorChild.OrgYaml, ct);
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };

        // (a): the Bulk path. Its emulator stays up, idle, for (d).
        await using var bulkEmulator = await StartEmulatorAsync(sluice, work, org, stem + ".bulk.emulator.log", http, ct);
        var config = await WriteConfigAsync(work, "bulk", session.Cluster.Port, bulkEmulator.Uri, rows, ct);

        // Untimed: the first command on a fresh database creates Sluice's state schema (once per installation, not
        // per sync); `sluice status` does that here, so that (a) is not charged for it and (b) is not spared it.
        // It logs in and reads /limits: those requests are not (a)'s.
        await TimeChildAsync("sluice status (untimed: creates the state schema)", sluice, ["status", "-c", config], work, stem + ".status.log", ct);
        bulkEmulator.RequestsSeen = (await bulkEmulator.RequestsAsync(ct)).Count;
        var bulk = await RunSluiceAsync("bulk", sluice, ["sync", BulkSync, "--full", "-c", config], work, stem + ".bulk.log", bulkEmulator, rows, rows, changed: 0, ct);
        result = result with { Bulk = bulk };
        Print(bulk);

        // (b): the Collections path into a fresh emulator.
        await using (var emulator = await StartEmulatorAsync(sluice, work, org, stem + ".collections.emulator.log", http, ct))
        {
            var collectionsConfig = await WriteConfigAsync(work, "collections", session.Cluster.Port, emulator.Uri, rows, ct);
            var collections = await RunSluiceAsync("collections", sluice, ["sync", CollectionsSync, "--full", "-c", collectionsConfig], work, stem + ".collections.log", emulator, rows, rows, changed: 0, ct);
            result = result with { Collections = collections };
            Print(collections);
        }

        // (c): jsforce's own bulk2 upsert of the CSV into a fresh emulator.
        await using (var emulator = await StartEmulatorAsync(sluice, work, org, stem + ".jsforce.emulator.log", http, ct))
        {
            var jsforce = await RunJsforceAsync(nodeFolder, csv, work, stem + ".jsforce.log", emulator, rows, ct);
            result = result with { Jsforce = jsforce };
            Print(jsforce);
        }

        // (d): change rows in PostgreSQL (after (b) and (c), which load the table as it was), then the incremental
        // run of the bulk sync into (a)'s emulator.
        var updated = await AccountRows.ChangeAsync(session.Db, rows, result.Changed, ct);
        if (updated != result.Changed)
        {
            throw new BenchFailure($"the UPDATE changed {updated:N0} rows, expected {result.Changed:N0}");
        }

        Console.WriteLine($"update       {updated:N0} rows: mrr + 1, updated_at moved");
        var incremental = await RunSluiceAsync("incremental", sluice, ["sync", BulkSync, "-c", config], work, stem + ".incremental.log", bulkEmulator, result.Changed, rows, result.Changed, ct);
        result = result with { Incremental = incremental };
        Print(incremental);
        return result;
    }

    private static async Task<SalesforceEmulatorChild> StartEmulatorAsync(string sluice, string work, string org, string logPath, HttpClient http, CancellationToken ct)
    {
        var emulator = await SalesforceEmulatorChild.StartAsync(sluice, work, org, logPath, http, ct);
        Console.WriteLine($"emulator     {emulator.Uri} (pid {emulator.Process.Id})");
        return emulator;
    }

    private static async Task<LoadRun> RunSluiceAsync(string name, string sluice, string[] args, string work, string logPath, SalesforceEmulatorChild emulator, int records, int rows, int changed, CancellationToken ct)
    {
        var command = "sluice " + string.Join(' ', args);
        var emulatorCpu = ProcessSampler.ReadCpuTime(emulator.Process.Id);
        var (started, wall, cpu, rss, log) = await TimeChildAsync(command, sluice, args, work, logPath, ct);
        var emulatorSeconds = (ProcessSampler.ReadCpuTime(emulator.Process.Id) - emulatorCpu)?.TotalSeconds;
        var (_, _, acknowledged, summary) = ChildRun.ParseSync(log);
        return await ReadRunAsync(name, command, started, wall, cpu, rss, records, acknowledged, summary, emulator, rows, changed, ct) with { EmulatorCpuSeconds = emulatorSeconds };
    }

    private static async Task<LoadRun> RunJsforceAsync(string nodeFolder, string csv, string work, string logPath, SalesforceEmulatorChild emulator, int rows, CancellationToken ct)
    {
        string[] args = [Path.Combine(nodeFolder, "bulk2-upsert.mjs"), emulator.Uri.ToString().TrimEnd('/'), csv];
        var command = "node bulk2-upsert.mjs (jsforce 3.10.16 conn.bulk2.loadAndWaitForResults, upsert by External_Id__c)";
        var emulatorCpu = ProcessSampler.ReadCpuTime(emulator.Process.Id);
        var (started, wall, cpu, rss, log) = await TimeChildAsync(command, "node", args, nodeFolder, logPath, ct);
        var emulatorSeconds = (ProcessSampler.ReadCpuTime(emulator.Process.Id) - emulatorCpu)?.TotalSeconds;
        var line = log.Split('\n').LastOrDefault(l => l.StartsWith('{'));
        long? successful = null;
        if (line is not null)
        {
            using var answer = JsonDocument.Parse(line);
            successful = answer.RootElement.GetProperty("successful").GetInt64();
        }

        return await ReadRunAsync("jsforce", command, started, wall, cpu, rss, rows, successful, line, emulator, rows, changed: 0, ct) with { EmulatorCpuSeconds = emulatorSeconds };
    }

    /// <summary>Runs a child to its exit, timed from start to exit, its memory and CPU polled; fails the bench when it fails.</summary>
    private static async Task<(DateTimeOffset Started, double Wall, double Cpu, double Rss, string Log)> TimeChildAsync(string command, string file, string[] args, string work, string logPath, CancellationToken ct)
    {
        Console.WriteLine($"run          {command}");
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        ChildProcess child;
        try
        {
            child = ChildProcess.Start(file, args, work, logPath);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new BenchFailure($"could not start {file}: {e.Message} (the jsforce run needs Node.js 20+ on PATH)");
        }

        await using (child)
        {
            await using var sampler = ProcessSampler.Start(child.Id, RssPollInterval);
            await child.WaitForExitAsync(ct);
            var wall = clock.Elapsed.TotalSeconds;
            await sampler.StopAsync();
            if (child.ExitCode != 0)
            {
                throw new BenchFailure($"{command} exited with {child.ExitCode} after {wall:F1} s; last lines of {logPath}:\n{child.Tail()}");
            }

            return (started, wall, sampler.CpuTime.TotalSeconds, sampler.PeakRssBytes / 1048576.0, child.Tail(200));
        }
    }

    /// <summary>What the emulator saw during the run (the requests logged since <paramref name="emulator"/>'s last run), and the check of every Account.</summary>
    private static async Task<LoadRun> ReadRunAsync(string name, string command, DateTimeOffset started, double wall, double cpu, double rss, int records, long? acknowledged, string? summary,
        SalesforceEmulatorChild emulator, int rows, int changed, CancellationToken ct)
    {
        var log = await emulator.RequestsAsync(ct);
        var mine = log.Skip(emulator.RequestsSeen).ToList();
        emulator.RequestsSeen = log.Count;
        var calls = mine.Where(r => r.IsApiCall).GroupBy(r => r.Kind).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count());
        var logins = mine.Count(r => !r.IsApiCall && (r.Path.StartsWith("/services/oauth2/token", StringComparison.Ordinal) || r.Path.StartsWith("/services/Soap/", StringComparison.Ordinal)));
        var stats = await emulator.StatsAsync(ct);
        var (held, problem) = await AccountCheck.RunAsync(emulator, rows, changed, ct);
        return new LoadRun(name, command, wall, cpu, rss, records, acknowledged, calls.Values.Sum(), logins, calls, held, problem, summary)
        {
            ApiRequestsUsedTotal = stats.ApiRequestsUsed,
            FirstRequestSeconds = mine.Count > 0 ? (mine[0].Time - started).TotalSeconds : null,
            LastRequestSeconds = mine.Count > 0 ? (mine[^1].Time - started).TotalSeconds : null,
            Timeline = mine.Count <= MaxTimeline
                ? mine.Select(r => string.Create(CultureInfo.InvariantCulture, $"+{(r.Time - started).TotalSeconds:F2} s {r.Kind} {r.Status}")).ToList()
                : [],
        };
    }

    private static void Print(LoadRun run) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{run.Name,-12} {run.WallSeconds:F2} s wall, {run.RecordsPerSecond:N0} records/s, {run.ApiRequests} API requests, peak RSS {run.PeakRssMegabytes:N0} MB, {run.AccountsHeld:N0} Accounts held{(run.Problem is null ? "" : ": " + run.Problem)}"));

    private static async Task<string> WriteConfigAsync(string work, string name, int postgresPort, Uri emulator, int rows, CancellationToken ct)
    {
        var path = Path.Combine(work, $"sluice-{name}.yaml");
        await File.WriteAllTextAsync(path, Config(postgresPort, emulator, rows), ct);
        return path;
    }

    /// <summary>Two syncs of the same table and mapping; only the destination's <c>bulk_threshold</c> differs.</summary>
    private static string Config(int postgresPort, Uri emulator, int rows) => string.Create(CultureInfo.InvariantCulture, $$"""
        # Written by bench/Sluice.Bench (salesforce) for one run.
        connections:
          app: { type: postgres, host: 127.0.0.1, port: {{postgresPort}}, database: bench, user: postgres }
          crm:
            type: salesforce
            login_url: {{emulator.ToString().TrimEnd('/')}}
            auth: { flow: password, client_id: sluice-client, client_secret: sluice-secret, username: admin@sluice.test, password: sluice }
            # The emulator's org is the bench's alone: the whole daily limit, and no client-side pacing (jsforce has none).
            max_daily_share: 100%
            rate_limit: { requests_per_second: 10000 }
        syncs:
          {{BulkSync}}:
            source: { connection: app, table: public.accounts, cursor: updated_at }
            destination: { connection: crm, object: Account, operation: upsert, external_id: External_Id__c, bulk_threshold: {{BulkThreshold}} }
            mapping:
              External_Id__c: external_id
              Name: name
              NumberOfEmployees: employees
              MRR__c: mrr
              Renewal_Date__c: renewal_date
              Tier__c: tier
          {{CollectionsSync}}:
            source: { connection: app, table: public.accounts, cursor: updated_at }
            # Above the row count: every batch goes through sObject Collections.
            destination: { connection: crm, object: Account, operation: upsert, external_id: External_Id__c, bulk_threshold: {{rows + 1}} }
            mapping:
              External_Id__c: external_id
              Name: name
              NumberOfEmployees: employees
              MRR__c: mrr
              Renewal_Date__c: renewal_date
              Tier__c: tier

        """);
}
