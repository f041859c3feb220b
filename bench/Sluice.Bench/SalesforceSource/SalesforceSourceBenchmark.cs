using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Npgsql;
using Sluice.Bench.Harness;
using Sluice.Bench.Salesforce;

namespace Sluice.Bench.SalesforceSource;

/// <summary>
/// Salesforce → PostgreSQL in one run, against one <c>sluice emulate salesforce</c> seeded with Opportunities:
/// (a) Sluice's initial load of them all (a Bulk API 2.0 query job, streamed into the table) next to (b) jsforce's own
/// <c>bulk2</c> query of the same fields piped into the same kind of table by <c>COPY</c>, both compared row by row;
/// then (c) a streaming sync (<c>changes: stream</c>) following some of them while the bench changes them at a steady
/// rate, each change timed from the emulator's commit to the row visible in PostgreSQL.
/// </summary>
internal static class SalesforceSourceBenchmark
{
    private const string LoadSync = "opportunities_load";
    private const string StreamSync = "opportunities_stream";
    private const string SluiceTable = "public.sf_opportunities";
    private const string JsforceTable = "public.jsforce_opportunities";
    private const string LiveTable = "public.sf_opportunities_live";
    private const string WarmUpTable = "public.warmup_opportunities";

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    public static async Task<int> RunAsync(SalesforceSourceBenchOptions options, CancellationToken ct)
    {
        await using var session = await BenchSession.StartAsync("salesforce-source", options.SluiceBinary, options.Keep, ct);
        var result = new SalesforceSourceResult
        {
            StartedAt = session.StartedAt,
            Rows = options.Rows,
            Followed = options.Followed,
            Changes = options.Changes,
            Rate = options.Rate,
            SluiceBinary = session.Sluice,
            Machine = await MachineInfo.CollectAsync(session.Db, ct),
        };

        try
        {
            result = await MeasureAsync(session, options, result, ct);
        }
        catch (BenchFailure e)
        {
            result = result with { Error = e.Message };
        }

        SalesforceSourceReport.Print(result);
        Console.WriteLine($"results      {await ResultsFile.WriteAsync(session.Stem, result, ct)}");
        return result.Error is not null || result.Correct is not true ? 1
            : result.RatioTargetMet is false || result.LatencyTargetMet is false ? 2
            : 0;
    }

    private static async Task<SalesforceSourceResult> MeasureAsync(BenchSession session, SalesforceSourceBenchOptions options, SalesforceSourceResult result, CancellationToken ct)
    {
        var (sluice, work, stem) = (session.Sluice, session.Work, session.Stem);
        await ExecuteAsync(session.Db, OpportunityRows.CreateTable(SluiceTable, notify: false) + OpportunityRows.CreateTable(JsforceTable, notify: false)
            + OpportunityRows.CreateTable(LiveTable, notify: true) + OpportunityRows.CreateTable(WarmUpTable, notify: false), ct);

        var nodeFolder = Path.Combine(RepoRoot.Find(), "bench", "Sluice.Bench", "Salesforce", "node");
        await NpmFolder.EnsureInstalledAsync(nodeFolder, stem + ".npm.log", ct);
        var org = Path.Combine(work, "org.yaml");
        await File.WriteAllTextAsync(org, "# Written by bench/Sluice.Bench (salesforce-source) for one run.\ndailyApiRequests: 10000000\n", ct);
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(5) };
        await using var emulator = await SalesforceEmulatorChild.StartAsync(sluice, work, org, stem + ".emulator.log", http, ct);
        Console.WriteLine($"emulator     {emulator.Uri} (pid {emulator.Process.Id})");
        var url = emulator.Uri.ToString().TrimEnd('/');

        // Untimed: the seed, through jsforce's bulk2 insert.
        var csv = Path.Combine(work, "opportunities.csv");
        await OpportunityRows.WriteCsvAsync(csv, options.Rows, options.Followed, ct);
        var seed = await TimeChildAsync("node bulk2-insert.mjs (untimed seed)", "node", [Path.Combine(nodeFolder, "bulk2-insert.mjs"), url, "Opportunity", csv], nodeFolder, stem + ".seed.log", ct);
        var seeded = JsonLine(seed.Log)?.GetProperty("successful").GetInt64();
        if (seeded != options.Rows)
        {
            throw new BenchFailure($"the seed inserted {seeded?.ToString(CultureInfo.InvariantCulture) ?? "?"} Opportunities, expected {options.Rows:N0}; see {stem}.seed.log");
        }

        Console.WriteLine($"seed         {options.Rows:N0} Opportunities in {seed.Wall:F1} s");
        result = result with { SeedSeconds = seed.Wall };

        var config = Path.Combine(work, "sluice.yaml");
        await File.WriteAllTextAsync(config, Config(session.Cluster.Port, url, options), ct);
        // Untimed: Sluice's state schema is created once per installation, by the first command that opens the state store.
        // `sluice status` does not (it reads the state without migrating), so the timed load used to create it: 0.3-1 s.
        await TimeChildAsync("sluice dlq list (untimed: creates the state schema)", sluice, ["dlq", "list", LoadSync, "-c", config], work, stem + ".status.log", ct);

        // Untimed: the emulator's first query job of the object pays the emulator's JIT (2-3 s under load, against 1.5-2.5 s
        // for the same job warm), a cost of the stand-in for Salesforce that fell on whichever load ran first (Sluice's):
        // jsforce's pipeline runs once before both, into a scratch table.
        var connection = $"postgres://postgres@127.0.0.1:{session.Cluster.Port.ToString(CultureInfo.InvariantCulture)}/bench";
        await TimeChildAsync("node bulk2-query-copy.mjs (untimed: warms the emulator's query path)", "node",
            [Path.Combine(nodeFolder, "bulk2-query-copy.mjs"), url, connection, WarmUpTable, string.Join(',', OpportunityRows.Columns), OpportunityRows.Soql],
            nodeFolder, stem + ".warmup.log", ct);

        // (a) Sluice's initial load.
        var a = await TimeChildAsync($"sluice sync {LoadSync}", sluice, ["sync", LoadSync, "-c", config], work, stem + ".sluice.log", ct);
        var sluiceRows = await CountAsync(session.Db, SluiceTable, ct);
        result = result with { Sluice = new SourceLoad("sluice", $"sluice sync {LoadSync}", a.Wall, a.Cpu, a.Rss, sluiceRows) };
        Print(result.Sluice);

        // (b) jsforce's bulk2 query piped into COPY.
        var b = await TimeChildAsync("node bulk2-query-copy.mjs", "node",
            [Path.Combine(nodeFolder, "bulk2-query-copy.mjs"), url, connection, JsforceTable, string.Join(',', OpportunityRows.Columns), OpportunityRows.Soql],
            nodeFolder, stem + ".jsforce.log", ct);
        var jsforceRows = await CountAsync(session.Db, JsforceTable, ct);
        result = result with
        {
            Jsforce = new SourceLoad("jsforce", "node bulk2-query-copy.mjs (jsforce 3.10.16 conn.bulk2.query, pg-copy-streams 7.0.0 COPY FROM STDIN csv)", b.Wall, b.Cpu, b.Rss, jsforceRows),
            TableDifferences = await DifferencesAsync(session.Db, ct),
        };
        Print(result.Jsforce);

        // (c) Change latency through the streaming sync.
        var ids = await FollowedIdsAsync(session.Db, ct);
        await using var latency = await ChangeLatency.StartAsync(http, emulator.Uri, session.Cluster.ConnectionString("bench"), ct);
        await using var stream = ChildProcess.Start(sluice, ["sync", StreamSync, "-c", config], work, stem + ".stream.log");
        Console.WriteLine($"run          sluice sync {StreamSync} (changes: stream; {ids.Count:N0} followed Opportunities)");
        await latency.ProbeAsync(ids[0], TimeSpan.FromMinutes(10), () => !stream.HasExited, ct);
        var cpuBefore = ProcessSampler.ReadCpuTime(stream.Id) ?? TimeSpan.Zero;
        Console.WriteLine($"changes      {options.Changes:N0} at {options.Rate}/s");
        var changeSeconds = await latency.ChangeAsync(ids, options.Changes, options.Rate, ct);
        await latency.WaitForAllAsync(options.Changes, TimeSpan.FromSeconds(30), ct);
        var cpu = (ProcessSampler.ReadCpuTime(stream.Id) ?? cpuBefore) - cpuBefore;
        await stream.InterruptAsync(TimeSpan.FromSeconds(20));
        result = result with { Latency = StreamLatency.Of(options.Changes, changeSeconds, latency.Latencies(), cpu.TotalSeconds) };
        return result;
    }

    private static void Print(SourceLoad load) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{load.Name,-12} {load.Rows:N0} rows in {load.WallSeconds:F2} s wall: {load.RowsPerSecond:N0} rows/s, {load.CpuSeconds:F1} s CPU ({load.CpuMicrosecondsPerRow:F1} µs/row), peak RSS {load.PeakRssMegabytes:N0} MB"));

    /// <summary>Runs a child to its exit, timed from start to exit, its memory and CPU polled; fails the bench when it fails.</summary>
    private static async Task<(double Wall, double Cpu, double Rss, string Log)> TimeChildAsync(string command, string file, string[] args, string work, string logPath, CancellationToken ct)
    {
        Console.WriteLine($"run          {command}");
        var clock = Stopwatch.StartNew();
        ChildProcess child;
        try
        {
            child = ChildProcess.Start(file, args, work, logPath);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new BenchFailure($"could not start {file}: {e.Message} (the jsforce runs need Node.js 20+ on PATH)");
        }

        await using (child)
        {
            await using var sampler = ProcessSampler.Start(child.Id, PollInterval);
            await child.WaitForExitAsync(ct);
            var wall = clock.Elapsed.TotalSeconds;
            await sampler.StopAsync();
            if (child.ExitCode != 0)
            {
                throw new BenchFailure($"{command} exited with {child.ExitCode} after {wall:F1} s; last lines of {logPath}:\n{child.Tail()}");
            }

            return (wall, sampler.CpuTime.TotalSeconds, sampler.PeakRssBytes / 1048576.0, child.Tail(200));
        }
    }

    private static JsonElement? JsonLine(string log) =>
        log.Split('\n').LastOrDefault(l => l.StartsWith('{')) is { } line ? JsonDocument.Parse(line).RootElement.Clone() : null;

    private static async Task ExecuteAsync(NpgsqlDataSource db, string sql, CancellationToken ct)
    {
        await using var command = db.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task<long> CountAsync(NpgsqlDataSource db, string table, CancellationToken ct)
    {
        await using var command = db.CreateCommand($"SELECT count(*) FROM {table}");
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>Rows of either load with no equal row in the other, every column compared.</summary>
    private static async Task<long> DifferencesAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var command = db.CreateCommand($"SELECT count(*) FROM ((TABLE {SluiceTable} EXCEPT ALL TABLE {JsforceTable}) UNION ALL (TABLE {JsforceTable} EXCEPT ALL TABLE {SluiceTable})) d");
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    private static async Task<IReadOnlyList<string>> FollowedIdsAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var command = db.CreateCommand($"SELECT id FROM {SluiceTable} WHERE name LIKE '{OpportunityRows.FollowedPrefix}%' ORDER BY id");
        await using var reader = await command.ExecuteReaderAsync(ct);
        var ids = new List<string>();
        while (await reader.ReadAsync(ct))
        {
            ids.Add(reader.GetString(0));
        }

        return ids.Count > 0 ? ids : throw new BenchFailure("the load wrote no followed Opportunity");
    }

    /// <summary>Two syncs of Opportunity with one mapping: the load (polling, its first run the Bulk query) and the stream of the followed ones.</summary>
    private static string Config(int postgresPort, string emulator, SalesforceSourceBenchOptions options)
    {
        var fields = string.Join(", ", OpportunityRows.Fields);
        var mapping = string.Join(", ", OpportunityRows.Columns.Zip(OpportunityRows.Fields, (c, f) => $"{c}: {f}"));
        return string.Create(CultureInfo.InvariantCulture, $$"""
            # Written by bench/Sluice.Bench (salesforce-source) for one run: {{options.Rows:N0}} Opportunities.
            connections:
              warehouse: { type: postgres, host: 127.0.0.1, port: {{postgresPort}}, database: bench, user: postgres }
              crm:
                type: salesforce
                login_url: {{emulator}}
                auth: { flow: password, client_id: sluice-client, client_secret: sluice-secret, username: admin@sluice.test, password: sluice }
                # The emulator's org is the bench's alone: the whole daily limit, and no client-side pacing (jsforce has none).
                max_daily_share: 100%
                rate_limit: { requests_per_second: 10000 }
            syncs:
              {{LoadSync}}:
                source: { connection: crm, object: Opportunity, fields: [{{fields}}] }
                destination: { connection: warehouse, table: {{SluiceTable}}, key: id, mode: sync }
                mapping: { {{mapping}} }
              {{StreamSync}}:
                source: { connection: crm, object: Opportunity, fields: [{{fields}}], where: "Name LIKE '{{OpportunityRows.FollowedPrefix}}%'", changes: stream }
                destination: { connection: warehouse, table: {{LiveTable}}, key: id, mode: sync }
                mapping: { {{mapping}} }

            """);
    }
}
