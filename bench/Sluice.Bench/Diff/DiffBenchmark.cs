using System.Diagnostics;
using Npgsql;
using Sluice.Bench.Harness;
using Sluice.Dev.Demo;
using Sluice.Dev.Embedded;

namespace Sluice.Bench.Diff;

/// <summary>
/// A query source diffed by fingerprints, on a fresh durable local cluster: a first run sends every row; then a
/// single UPDATE changes 1% of them, and the incremental run must find and deliver exactly those — timed from
/// process start to exit (every change acknowledged), with its scan rate next to PostgreSQL's raw read rate.
/// </summary>
internal static class DiffBenchmark
{
    private const string SyncName = "users_diff";

    /// <summary>The columns the sync's query returns; the raw COPY reads exactly these.</summary>
    private const string Columns = "id, email, first_name, last_name, plan, status, country, lifetime_value";

    private const string Query = $"SELECT {Columns} FROM public.users";

    private static readonly TimeSpan RssPollInterval = TimeSpan.FromMilliseconds(50);

    public static async Task<int> RunAsync(DiffOptions options, CancellationToken ct)
    {
        await using var session = await BenchSession.StartAsync("diff", options.SluiceBinary, options.Keep, ct);
        var (sluice, cluster, db, work, stem, startedAt) = (session.Sluice, session.Cluster, session.Db, session.Work, session.Stem, session.StartedAt);
        var result = new DiffResult
        {
            StartedAt = startedAt,
            Rows = options.Rows,
            Changed = options.Changed,
            SluiceBinary = sluice,
            Machine = await MachineInfo.CollectAsync(db, ct),
        };

        result = result with { LoadSeconds = await BenchData.LoadUsersAsync(db, options.Rows, ct) };
        result = await MeasureRawAsync(db, result, ct);
        try
        {
            result = await MeasureRunsAsync(sluice, cluster, db, work, stem, result, ct);
        }
        catch (BenchFailure e)
        {
            result = result with { Error = e.Message };
        }

        DiffReport.Print(result);
        Console.WriteLine($"results      {await ResultsFile.WriteAsync(stem, result, ct)}");
        return result.Error is not null || result.Correct is false ? 1
            : result.IncrementalTargetMet is false || result.ScanRatioTargetMet is false ? 2
            : 0;
    }

    private static async Task<DiffResult> MeasureRawAsync(NpgsqlDataSource db, DiffResult result, CancellationToken ct)
    {
        var runs = new List<RawCopyRun>();
        for (var run = 1; run <= 2; run++)
        {
            var text = await RawCopy.TextAsync(db, Query, run, ct);
            if (text.Rows != result.Rows)
            {
                throw new BenchFailure($"COPY returned {text.Rows:N0} rows, expected {result.Rows:N0}");
            }

            runs.Add(text);
            runs.Add(await RawCopy.BinaryAsync(db, Query, result.Rows, run, ct));
        }

        foreach (var run in runs)
        {
            Console.WriteLine($"raw COPY     {run.Format,-6} run {run.Run}: {run.RowsPerSecond,12:N0} rows/s ({run.Seconds:F2} s, {run.Bytes / 1048576.0:N0} MB)");
        }

        // As the query source asks for them: sorted by the key's text in byte order.
        var sorted = await RawCopy.BinaryAsync(db, $"{Query} ORDER BY id::text COLLATE \"C\"", result.Rows, 2, ct) with { Format = "binary, sorted by key text" };
        Console.WriteLine($"raw COPY     sorted by key text: {sorted.RowsPerSecond,12:N0} rows/s ({sorted.Seconds:F2} s)");
        return result with { RawRuns = runs, Raw = runs.Where(r => r.Run == 2).MaxBy(r => r.RowsPerSecond), RawSorted = sorted };
    }

    private static async Task<DiffResult> MeasureRunsAsync(string sluice, LocalCluster cluster, NpgsqlDataSource db, string work, string stem, DiffResult result, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var (emulator, emulatorUri) = await EmulatorChild.StartAsync(sluice, work, stem + ".emulator.log", http, ct);
        await using var _ = emulator;
        Console.WriteLine($"emulator     {emulatorUri} (pid {emulator.Id})");

        var configPath = Path.Combine(work, "sluice.yaml");
        await File.WriteAllTextAsync(configPath, Config(cluster.Port, emulatorUri), ct);

        var first = await RunChildAsync(sluice, cluster, ["sync", SyncName, "-c", configPath], work, stem + ".first.log", http, emulatorUri, ct);
        result = result with { First = first };
        Console.WriteLine($"first run    {first.WallSeconds:F1} s wall: {first.Acknowledged:N0} acknowledged ({result.Rows / first.WallSeconds:N0} rows/s)");
        if (first.Acknowledged != result.Rows)
        {
            throw new BenchFailure($"the first run acknowledged {first.Acknowledged:N0} records, expected {result.Rows:N0}; see {stem}.first.log");
        }

        // One UPDATE, spread evenly over the table, of a column the mapping reads; then a CHECKPOINT so that the
        // incremental run does not pay for the UPDATE's WAL.
        var clock = Stopwatch.StartNew();
        var step = Math.Max(1, result.Rows / result.Changed);
        var updated = await ExecuteAsync(db,
            $"""
            UPDATE public.users SET lifetime_value = lifetime_value + 1
            WHERE id IN (SELECT id FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM public.users) r WHERE n % {step} = 0 LIMIT {result.Changed})
            """, ct);
        result = result with { UpdateSeconds = clock.Elapsed.TotalSeconds };
        if (updated != result.Changed)
        {
            throw new BenchFailure($"the UPDATE changed {updated:N0} rows, expected {result.Changed:N0}");
        }

        await ExecuteAsync(db, "CHECKPOINT", ct);
        Console.WriteLine($"update       {updated:N0} rows in {result.UpdateSeconds:F1} s");

        // The first run wrote a million ledger rows; autovacuum visits them within a minute and for seconds after (a
        // vacuum of the fresh record_state overlapped the plan and the incremental run in session 11's quiet bench,
        // doubling PostgreSQL's CPU during them). A sync scheduled after its first load meets the ledger vacuumed: so
        // does this one. The time it takes is printed, and not part of any run.
        clock.Restart();
        await ExecuteAsync(db, "VACUUM (ANALYZE) sluice.record_state, sluice.send_ledger", ct);
        result = result with { SettleSeconds = clock.Elapsed.TotalSeconds };
        Console.WriteLine($"settle       the first run's ledger vacuumed in {result.SettleSeconds:F1} s (what autovacuum would do before a later run)");

        var plan = await RunChildAsync(sluice, cluster, ["plan", SyncName, "--samples", "0", "-c", configPath], work, stem + ".plan.log", http, emulatorUri, ct);
        result = result with { Plan = plan };
        Console.WriteLine($"plan         {plan.WallSeconds:F1} s wall, {plan.EngineSeconds:F2} s reading: {plan.Read:N0} would be sent");

        var incremental = await RunChildAsync(sluice, cluster, ["sync", SyncName, "-c", configPath], work, stem + ".incremental.log", http, emulatorUri, ct);
        Console.WriteLine($"incremental  {incremental.WallSeconds:F2} s wall, {incremental.EngineSeconds:F2} s run: {incremental.Acknowledged:N0} acknowledged");
        return result with { Incremental = incremental };
    }

    /// <summary>Runs <c>sluice</c> to its exit and reads what it printed and what the emulator then holds.</summary>
    private static async Task<ChildRun> RunChildAsync(string sluice, LocalCluster cluster, string[] args, string work, string logPath, HttpClient http, Uri emulator, CancellationToken ct)
    {
        var command = "sluice " + string.Join(' ', args);
        Console.WriteLine($"run          {command}");
        var postgresAtStart = ClusterCpu.Read(cluster.DataDirectory);
        var clock = Stopwatch.StartNew();
        await using var child = ChildProcess.Start(sluice, args, work, logPath);
        await using var sampler = ProcessSampler.Start(child.Id, RssPollInterval);
        await child.WaitForExitAsync(ct);
        var wall = clock.Elapsed.TotalSeconds;
        await sampler.StopAsync();
        if (child.ExitCode != 0)
        {
            throw new BenchFailure($"{command} exited with {child.ExitCode} after {wall:F1} s; last lines of {logPath}:\n{child.Tail()}");
        }

        var postgresCpu = ClusterCpu.Read(cluster.DataDirectory) - postgresAtStart;
        var log = child.Tail(200);
        var stats = await EmulatorChild.StatsAsync(http, emulator, ct);
        var cpu = sampler.CpuTime.TotalSeconds;
        var rss = sampler.PeakRssBytes / 1048576.0;
        if (args[0] == "plan")
        {
            var (seconds, wouldSend, line) = ChildRun.ParsePlan(log);
            return new ChildRun(command, wall, seconds, cpu, rss, wouldSend, null, stats.Received, stats.Unique, line) { PostgresCpuSeconds = postgresCpu };
        }

        var (runSeconds, read, acknowledged, summary) = ChildRun.ParseSync(log);
        return new ChildRun(command, wall, runSeconds, cpu, rss, read, acknowledged, stats.Received, stats.Unique, summary) { PostgresCpuSeconds = postgresCpu };
    }

    private static async Task<int> ExecuteAsync(NpgsqlDataSource db, string sql, CancellationToken ct)
    {
        await using var command = db.CreateCommand(sql);
        command.CommandTimeout = 0;
        return await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The config the bench hands to <c>sluice</c>: the query returns <see cref="Columns"/>, keyed by id.</summary>
    private static string Config(int postgresPort, Uri emulator) => $$"""
        # Written by bench/Sluice.Bench (diff) for one run.
        connections:
          app: { type: postgres, host: 127.0.0.1, port: {{postgresPort}}, database: bench, user: postgres }
          # The emulator is no shared Segment workspace: lift the production default of 200 requests/s so the engine is measured.
          segment: { type: segment, write_key: bench, endpoint: {{emulator.ToString().TrimEnd('/')}}, max_in_flight: 4, rate_limit: { requests_per_second: 100000 } }
        syncs:
          {{SyncName}}:
            source: { connection: app, query: "{{Query}}", key: [id] }
            destination: { connection: segment, call: identify }
            mapping:
              user_id: id
              traits: { email: email, first_name: first_name, last_name: last_name, plan: plan, status: status, country: country, lifetime_value: lifetime_value }

        """;
}
