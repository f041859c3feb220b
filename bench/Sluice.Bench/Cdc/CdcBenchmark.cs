using System.Diagnostics;
using System.Runtime.CompilerServices;
using Npgsql;
using Sluice.Bench.Harness;
using Sluice.Postgres.Cdc;

namespace Sluice.Bench.Cdc;

/// <summary>
/// Change data capture on a fresh durable local cluster, in one run: PostgreSQL's own decode rate
/// (<c>pg_recvlogical</c>, <c>pgoutput</c>) over a workload of UPDATEs, next to the rate at which <c>sluice run</c>
/// streams the same changes from its own slot into the Segment emulator; then the change-to-acknowledgement
/// latency of single-row changes at a fixed rate.
/// </summary>
internal static class CdcBenchmark
{
    private const string SyncName = "users_cdc";
    private const string DecodePublication = "bench_decode";

    private static readonly string[] DecodeSlots = ["bench_decode_1", "bench_decode_2"];
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan StallLimit = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan SamplerInterval = TimeSpan.FromMilliseconds(50);

    public static async Task<int> RunAsync(CdcOptions options, CancellationToken ct)
    {
        await using var session = await BenchSession.StartAsync("cdc", options.SluiceBinary, options.Keep, ct);
        var db = session.Db;
        var loadSeconds = await BenchData.LoadUsersAsync(db, options.Users, ct);
        var (minId, users) = await IdsAsync(db, ct);
        await ExecuteAsync(db, $"ALTER TABLE public.users ADD COLUMN {CdcWorkload.SequenceColumn} bigint", ct);

        var result = new CdcResult
        {
            StartedAt = session.StartedAt,
            Users = users,
            Updates = options.Updates,
            PerTransaction = options.PerTransaction,
            SluiceBinary = session.Sluice,
            Machine = await MachineInfo.CollectAsync(db, ct),
            LoadSeconds = loadSeconds,
        };

        // Each step records what it measured as it goes, so a failure later still reports the numbers before it.
        var measured = new StrongBox<CdcResult>(result);
        try
        {
            await MeasureAsync(session, options, minId, users, measured, ct);
            result = measured.Value!;
        }
        catch (BenchFailure e)
        {
            result = measured.Value! with { Error = e.Message };
        }

        CdcReport.Print(result);
        Console.WriteLine($"results      {await ResultsFile.WriteAsync(session.Stem, result, ct)}");

        // A benchmark prints numbers; only a run that could not measure them fails.
        return result.Error is null ? 0 : 1;
    }

    private static async Task MeasureAsync(BenchSession session, CdcOptions options, long minId, long users, StrongBox<CdcResult> result, CancellationToken ct)
    {
        var (db, work, stem) = (session.Db, session.Work, session.Stem);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var retain = Math.Max(EmulatorChild.DefaultRetain, options.Rate * options.LatencySeconds + 1_000);
        var (emulator, emulatorUri) = await EmulatorChild.StartAsync(session.Sluice, work, stem + ".emulator.log", http, ct, retain);
        await using var _ = emulator;
        Console.WriteLine($"emulator     {emulatorUri} (pid {emulator.Id})");

        var config = Path.Combine(work, "sluice.yaml");
        await File.WriteAllTextAsync(config, Config(session.Cluster.Port, emulatorUri), ct);

        // 1. The sync's first start creates its slot and publication ('start: now'); stopped once the slot is there,
        //    so that the whole workload waits in it, as after an outage or a bulk job.
        await CreateSluiceSlotAsync(session, config, http, ct);

        // 2. The decode slots, at the same point of the WAL: every slot sees exactly the workload.
        await PgRecvLogical.CreateSlotsAsync(db, DecodePublication, "public.users", DecodeSlots, ct);

        // 3. The workload, then a CHECKPOINT so that the reads below do not pay for its dirty pages.
        var workloadSeconds = await CdcWorkload.RunAsync(db, minId, users, options.Updates, options.PerTransaction, ct);
        var endLsn = (string)(await ScalarAsync(db, "SELECT pg_current_wal_lsn()::text", ct))!;
        await ExecuteAsync(db, "CHECKPOINT", ct);
        result.Value = result.Value! with { WorkloadSeconds = workloadSeconds, EndLsn = endLsn };

        // 4. PostgreSQL's own decode rate, twice.
        var decodes = new List<DecodeRun>();
        for (var run = 1; run <= DecodeSlots.Length; run++)
        {
            decodes.Add(await PgRecvLogical.DecodeAsync(session.Cluster, DecodeSlots[run - 1], DecodePublication, endLsn, options.Updates, run, $"{stem}.decode{run}.log", ct));
            result.Value = result.Value! with { DecodeRuns = [.. decodes] };
        }

        foreach (var slot in DecodeSlots)
        {
            await ExecuteAsync(db, $"SELECT pg_drop_replication_slot('{slot}')", ct);
        }

        // 5. Sluice through the same backlog, then 6. the latency phase in the same process.
        var emulatorCpu = ProcessSampler.ReadCpuTime(emulator.Id);
        var clock = Stopwatch.StartNew();
        var (sluice, sluiceUri) = await SluiceRunChild.StartAsync(session.Sluice, config, work, stem + ".sluice.log", http, ct);
        await using var sluiceLifetime = sluice;
        Console.WriteLine($"sluice       sluice run -c {config} on {sluiceUri} (pid {sluice.Id}): streaming the backlog");
        var catchUp = await CatchUpAsync(sluice, db, clock, http, emulatorUri, options.Updates, ct);
        catchUp = catchUp with { EmulatorCpuSeconds = (ProcessSampler.ReadCpuTime(emulator.Id) - emulatorCpu)?.TotalSeconds };
        result.Value = result.Value! with { Sluice = catchUp };
        Console.WriteLine($"sluice       {catchUp.Changes:N0} changes in {catchUp.DoneSeconds:F2} s from start, first at {catchUp.FirstReceivedSeconds:F2} s: {catchUp.SustainedPerSecond:N0} changes/s sustained");

        result.Value = result.Value! with { Latency = await LatencyAsync(session, sluice, http, emulatorUri, options, minId, users, ct) };
        await sluice.InterruptAsync(TimeSpan.FromSeconds(15));
    }

    private static async Task CreateSluiceSlotAsync(BenchSession session, string config, HttpClient http, CancellationToken ct)
    {
        var slot = CdcNames.SlotFor(SyncName);
        var (sluice, _) = await SluiceRunChild.StartAsync(session.Sluice, config, session.Work, session.Stem + ".setup.log", http, ct);
        await using (sluice)
        {
            var clock = Stopwatch.StartNew();
            while (await ScalarAsync(session.Db, $"SELECT active FROM pg_replication_slots WHERE slot_name = '{slot}'", ct) is not true)
            {
                if (sluice.HasExited || clock.Elapsed > StallLimit)
                {
                    throw new BenchFailure($"the CDC sync did not start streaming from slot {slot} within {StallLimit.TotalSeconds:0} s; last lines of {sluice.LogPath}:\n{sluice.Tail()}");
                }

                await Task.Delay(Poll, ct);
            }

            await sluice.InterruptAsync(TimeSpan.FromSeconds(15));
        }

        Console.WriteLine($"slot         {slot} created by the sync's first start ('start: now'), then the sync was stopped");
    }

    /// <param name="clock">Started just before the process.</param>
    private static async Task<CatchUpRun> CatchUpAsync(ChildProcess sluice, NpgsqlDataSource db, Stopwatch clock, HttpClient http, Uri emulator, long expected, CancellationToken ct)
    {
        await using var sampler = ProcessSampler.Start(sluice.Id, SamplerInterval);
        double? first = null;
        long last = -1;
        var lastProgress = clock.Elapsed;
        var nextReport = TimeSpan.FromSeconds(5);
        while (true)
        {
            var stats = await EmulatorChild.StatsAsync(http, emulator, ct);
            var at = clock.Elapsed;
            var unique = stats.Unique ?? 0;
            if (unique > 0 && first is null)
            {
                first = at.TotalSeconds;
            }

            if (unique >= expected)
            {
                await sampler.StopAsync();
                return new CatchUpRun(expected, first ?? at.TotalSeconds, at.TotalSeconds, stats.Received, stats.Unique, sampler.CpuTime.TotalSeconds, sampler.PeakRssBytes / 1048576.0, null);
            }

            if (unique > last)
            {
                (last, lastProgress) = (unique, at);
            }
            else if (at - lastProgress > StallLimit)
            {
                throw new BenchFailure($"the emulator stopped at {unique:N0} of {expected:N0} changes for {StallLimit.TotalSeconds:0} s; {await SlotStateAsync(db, ct)}; last lines of {sluice.LogPath}:\n{sluice.Tail()}");
            }

            if (sluice.HasExited)
            {
                throw new BenchFailure($"sluice run exited with {sluice.ExitCode} after {unique:N0} of {expected:N0} changes; last lines of {sluice.LogPath}:\n{sluice.Tail()}");
            }

            if (at >= nextReport)
            {
                Console.WriteLine($"sluice       {unique:N0} of {expected:N0} after {at.TotalSeconds:F0} s");
                nextReport += TimeSpan.FromSeconds(5);
            }

            await Task.Delay(Poll, ct);
        }
    }

    private static async Task<CdcLatency> LatencyAsync(
        BenchSession session, ChildProcess sluice, HttpClient http, Uri emulator, CdcOptions options, long minId, long users, CancellationToken ct)
    {
        // Forget the backlog's messages so the emulator retains exactly this phase's.
        using (var reset = await http.DeleteAsync(new Uri(emulator, "/__emulator/messages"), ct))
        {
            reset.EnsureSuccessStatusCode();
        }

        Console.WriteLine($"latency      {options.Rate:N0} changes/s for {options.LatencySeconds} s, one row per durable transaction, open loop");
        var writes = await CdcWorkload.PacedAsync(session.Db, minId, users, options.Rate, options.LatencySeconds, ct);

        var clock = Stopwatch.StartNew();
        long last = -1;
        var lastProgress = TimeSpan.Zero;
        while (true)
        {
            var unique = (await EmulatorChild.StatsAsync(http, emulator, ct)).Unique ?? 0;
            if (unique >= writes.Count || sluice.HasExited)
            {
                break;
            }

            if (unique > last)
            {
                (last, lastProgress) = (unique, clock.Elapsed);
            }
            else if (clock.Elapsed - lastProgress > TimeSpan.FromSeconds(30))
            {
                break; // reported as missing below
            }

            await Task.Delay(Poll, ct);
        }

        var received = await ReceivedSequences.FetchAsync(http, emulator, CdcWorkload.SequenceColumn, ct);
        var latencies = new List<double>(writes.Count);
        for (var i = 1; i <= writes.Count; i++)
        {
            if (received.TryGetValue(i, out var at))
            {
                latencies.Add((at - writes.IssuedAt[i]).TotalMilliseconds);
            }
        }

        var result = new CdcLatency(options.Rate, writes.Count, writes.Seconds, writes.LatestStartMilliseconds, latencies.Count, writes.Count - latencies.Count, LatencySummary.Of(latencies));
        Console.WriteLine($"latency      {latencies.Count:N0} of {writes.Count:N0} received; p50 {result.Milliseconds?.P50:F0} ms, p99 {result.Milliseconds?.P99:F0} ms");
        return result;
    }

    /// <summary>Where the sync's slot and its walsender are, for a failure message: stalled in PostgreSQL, or in Sluice?</summary>
    private static async Task<string> SlotStateAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        var slot = CdcNames.SlotFor(SyncName);
        await using var command = db.CreateCommand(
            $"""
            SELECT format('slot %s: active %s, confirmed_flush_lsn %s, walsender %s sent_lsn %s, WAL now %s',
                          s.slot_name, s.active, s.confirmed_flush_lsn, coalesce(r.state, 'none'), r.sent_lsn, pg_current_wal_lsn())
            FROM pg_replication_slots s LEFT JOIN pg_stat_replication r ON r.pid = s.active_pid
            WHERE s.slot_name = '{slot}'
            """);
        return await command.ExecuteScalarAsync(ct) as string ?? $"slot {slot} does not exist";
    }

    private static async Task<(long MinId, long Users)> IdsAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var command = db.CreateCommand("SELECT min(id), max(id), count(*) FROM public.users");
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var (min, max, count) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
        if (max - min + 1 != count)
        {
            throw new BenchFailure($"users ids are not contiguous ({min}..{max}, {count:N0} rows); the workload updates id ranges");
        }

        return (min, count);
    }

    private static async Task ExecuteAsync(NpgsqlDataSource db, string sql, CancellationToken ct)
    {
        await using var command = db.CreateCommand(sql);
        command.CommandTimeout = 0;
        await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task<object?> ScalarAsync(NpgsqlDataSource db, string sql, CancellationToken ct)
    {
        await using var command = db.CreateCommand(sql);
        return await command.ExecuteScalarAsync(ct);
    }

    /// <summary>The config the bench hands to <c>sluice run</c>: the users table by CDC from now on, as identify calls.</summary>
    private static string Config(int postgresPort, Uri emulator) => $$"""
        # Written by bench/Sluice.Bench (cdc) for one run.
        version: 1
        state: { connection: app }
        connections:
          app: { type: postgres, host: 127.0.0.1, port: {{postgresPort}}, database: bench, user: postgres }
          # The emulator is no shared Segment workspace: lift the production default of 200 requests/s so the engine is measured.
          segment: { type: segment, write_key: bench, endpoint: {{emulator.ToString().TrimEnd('/')}}, max_in_flight: 4, rate_limit: { requests_per_second: 100000 } }
        syncs:
          {{SyncName}}:
            source: { connection: app, table: public.users, cdc: { start: now } }
            destination: { connection: segment, call: identify }
            mapping:
              user_id: id
              traits: { email: email, first_name: first_name, last_name: last_name, plan: plan, status: status, country: country, lifetime_value: lifetime_value, {{CdcWorkload.SequenceColumn}}: {{CdcWorkload.SequenceColumn}} }

        """;
}
