using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Npgsql;
using Sluice.Bench.Harness;
using Sluice.Dev.Demo;
using Sluice.Dev.Embedded;

namespace Sluice.Bench.ReverseEtl;

/// <summary>
/// PostgreSQL → <c>sluice sync</c> → Segment emulator, on a fresh durable local cluster: the sync's rows/s
/// against PostgreSQL's own COPY rate for the same columns, and the sync process's peak memory.
/// </summary>
internal static class ReverseEtlBenchmark
{
    private const string SyncName = "users_to_segment";

    /// <summary>The columns the sync's mapping reads (see <see cref="Config"/>); the raw COPY reads exactly these.</summary>
    private const string MappedColumns = "id, updated_at, email, first_name, last_name, plan, status, country, lifetime_value";

    private static readonly TimeSpan RssPollInterval = TimeSpan.FromMilliseconds(50);

    public static async Task<int> RunAsync(ReverseEtlOptions options, CancellationToken ct)
    {
        await using var session = await BenchSession.StartAsync("reverse-etl", options.SluiceBinary, options.Keep, ct);
        var (sluice, cluster, db, work, stem, startedAt) = (session.Sluice, session.Cluster, session.Db, session.Work, session.Stem, session.StartedAt);
        var result = new ReverseEtlResult
        {
            StartedAt = startedAt,
            Users = options.Users,
            SluiceBinary = sluice,
            Machine = await MachineInfo.CollectAsync(db, ct),
        };

        result = result with { LoadSeconds = await BenchData.LoadUsersAsync(db, options.Users, ct) };
        result = await MeasureRawAsync(db, result, ct);
        try
        {
            result = result with { Sync = await MeasureSyncAsync(sluice, cluster, work, stem, options.Users, ct) };
        }
        catch (BenchFailure e)
        {
            result = result with { Error = e.Message };
        }

        Report.Print(result);
        Console.WriteLine($"results      {await ResultsFile.WriteAsync(stem, result, ct)}");
        return result.Error is not null || result.AllDelivered is false ? 1
            : result.RatioTargetMet is false || result.PeakRssTargetMet is false || result.Sync?.Unchanged?.TargetMet is false ? 2
            : 0;
    }

    private static async Task<ReverseEtlResult> MeasureRawAsync(NpgsqlDataSource db, ReverseEtlResult result, CancellationToken ct)
    {
        var query = $"SELECT {MappedColumns} FROM public.users";
        var runs = new List<RawCopyRun>();
        for (var run = 1; run <= 2; run++)
        {
            var text = await RawCopy.TextAsync(db, query, run, ct);
            if (text.Rows != result.Users)
            {
                throw new BenchFailure($"COPY returned {text.Rows:N0} rows, expected {result.Users:N0}");
            }

            runs.Add(text);
            runs.Add(await RawCopy.BinaryAsync(db, query, result.Users, run, ct));
        }

        foreach (var run in runs)
        {
            Console.WriteLine($"raw COPY     {run.Format,-6} run {run.Run}: {run.RowsPerSecond,12:N0} rows/s ({run.Seconds:F2} s, {run.Bytes / 1048576.0:N0} MB)");
        }

        // The second run of each: the table is in shared buffers or the page cache, as it is for a sync that follows a load.
        var raw = runs.Where(r => r.Run == 2).MaxBy(r => r.RowsPerSecond);
        return result with { RawRuns = runs, Raw = raw };
    }

    private static async Task<SyncMeasurement> MeasureSyncAsync(string sluice, LocalCluster cluster, string work, string stem, int users, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var emulatorPort = FreePort.Next();
        var emulatorUri = new Uri($"http://127.0.0.1:{emulatorPort}");
        await using var emulator = ChildProcess.Start(
            sluice, ["emulate", "segment", "--port", emulatorPort.ToString(CultureInfo.InvariantCulture), "--retain", "10000"], work, stem + ".emulator.log");
        await WaitForEmulatorAsync(http, emulatorUri, emulator, ct);
        Console.WriteLine($"emulator     {emulatorUri} (pid {emulator.Id})");

        var configPath = Path.Combine(work, "sluice.yaml");
        await File.WriteAllTextAsync(configPath, Config(cluster.Port, emulatorPort), ct);

        Console.WriteLine($"sync         sluice sync {SyncName} --full -c {configPath}");
        // The other two processes on the same cores: what the emulator and PostgreSQL spend while the sync runs.
        var emulatorAtStart = ProcessSampler.ReadCpuTime(emulator.Id);
        var postgresAtStart = ClusterCpu.Read(cluster.DataDirectory);
        var clock = Stopwatch.StartNew();
        await using var sync = ChildProcess.Start(sluice, ["sync", SyncName, "--full", "-c", configPath], work, stem + ".sync.log");
        await using var sampler = ProcessSampler.Start(sync.Id, RssPollInterval);
        await sync.WaitForExitAsync(ct);
        var wall = clock.Elapsed.TotalSeconds;
        await sampler.StopAsync();
        var emulatorCpu = (ProcessSampler.ReadCpuTime(emulator.Id) - emulatorAtStart)?.TotalSeconds;
        var postgresCpu = ClusterCpu.Read(cluster.DataDirectory) - postgresAtStart;

        if (sync.ExitCode != 0)
        {
            throw new BenchFailure($"sluice sync exited with {sync.ExitCode} after {wall:F1} s; last lines of {sync.LogPath}:\n{sync.Tail()}");
        }

        EmulatorStats stats;
        try
        {
            stats = await EmulatorStats.FetchAsync(http, emulatorUri, ct);
        }
        catch (Exception e) when (IsUnanswered(e, ct))
        {
            throw new BenchFailure($"could not read the emulator's stats from {emulatorUri}__emulator/stats: {e.Message}");
        }

        // The same sync again with nothing changed: what one run costs when there is nothing to send.
        var unchanged = await UnchangedSync.MeasureAsync(sluice, SyncName, configPath, work, stem, async () => (await EmulatorStats.FetchAsync(http, emulatorUri, ct)).Received, ct);

        return new SyncMeasurement(
            wall,
            users / wall,
            sampler.PeakRssBytes / 1048576.0,
            sampler.CpuTime.TotalSeconds,
            sampler.Samples,
            stats.Received,
            stats.Unique,
            stats.Json)
        { Unchanged = unchanged, EmulatorCpuSeconds = emulatorCpu, PostgresCpuSeconds = postgresCpu };
    }

    private static async Task WaitForEmulatorAsync(HttpClient http, Uri emulator, ChildProcess process, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                throw new BenchFailure($"the Segment emulator exited with {process.ExitCode}; last lines of {process.LogPath}:\n{process.Tail()}");
            }

            try
            {
                await EmulatorStats.FetchAsync(http, emulator, ct);
                return;
            }
            catch (Exception e) when (IsUnanswered(e, ct) && deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(100, ct);
            }
            catch (Exception e) when (IsUnanswered(e, ct))
            {
                throw new BenchFailure($"the Segment emulator did not answer GET {emulator}__emulator/stats within 30 s ({e.Message}); last lines of {process.LogPath}:\n{process.Tail()}");
            }
        }
    }

    private static bool IsUnanswered(Exception e, CancellationToken ct) =>
        e is HttpRequestException or JsonException || (e is TaskCanceledException && !ct.IsCancellationRequested);

    /// <summary>The config the bench hands to <c>sluice</c>; its mapping reads <see cref="MappedColumns"/>.</summary>
    private static string Config(int postgresPort, int emulatorPort) => $$"""
        # Written by bench/Sluice.Bench (reverse-etl) for one run.
        connections:
          app: { type: postgres, host: 127.0.0.1, port: {{postgresPort}}, database: bench, user: postgres }
          # The emulator is no shared Segment workspace: lift the production default of 200 requests/s so the engine is measured.
          segment: { type: segment, write_key: bench, endpoint: http://127.0.0.1:{{emulatorPort}}, max_in_flight: 4, rate_limit: { requests_per_second: 100000 } }
        syncs:
          {{SyncName}}:
            source: { connection: app, table: public.users, cursor: updated_at }
            destination: { connection: segment, call: identify }
            mapping:
              user_id: id
              timestamp: updated_at
              traits: { email: email, first_name: first_name, last_name: last_name, plan: plan, status: status, country: country, lifetime_value: lifetime_value }

        """;
}
