using System.Diagnostics;
using Npgsql;
using Sluice.Bench.Harness;

namespace Sluice.Bench.Ingest;

/// <summary>
/// The ingest API of <c>sluice run</c> on a fresh durable local cluster: Segment batches of track calls from
/// concurrent HTTP clients on loopback. In one run: PostgreSQL's own binary-COPY rate for the same rows; the
/// accepted (durable) rate with no sync; the rate at which they land in an events table and in the Segment
/// warehouse schema, each with its own <c>sluice run</c>; and request latency at a fixed, moderate rate.
/// </summary>
internal static class IngestBenchmark
{
    private const int WarmUpBatches = 5;

    private static readonly TimeSpan SamplerInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>One ingest source per phase, so each phase's queue rows, ids and checkpoints are its own.</summary>
    private sealed record PhaseSpec(string Name, string Source, string WriteKey, string? SyncName, string? Destination);

    private static readonly PhaseSpec AcceptPhase = new("accept only", "web_accept", "bench-accept", null, null);

    private static readonly PhaseSpec EventsPhase = new("events table", "web_events", "bench-events", "web_events_to_table", "destination: { connection: wh, table: public.events, create_table: true }");

    private static readonly PhaseSpec WarehousePhase = new("warehouse", "web", "bench-web", "web_to_warehouse", "destination: { connection: wh, layout: warehouse, schema: web }");

    public static async Task<int> RunAsync(IngestOptions options, CancellationToken ct)
    {
        await using var session = await BenchSession.StartAsync("ingest", options.SluiceBinary, options.Keep, ct);
        var now = DateTime.UtcNow;
        var batches = TrackEvents.Generate(options.Events, options.BatchSize, seed: 1, now);
        var warmUp = TrackEvents.Generate(options.BatchSize * WarmUpBatches, options.BatchSize, seed: 2, now);
        var paced = TrackEvents.Generate(options.Rate * options.LatencySeconds, options.BatchSize, seed: 3, now);
        var settle = options.SettleEvents > 0 ? TrackEvents.Generate(options.SettleEvents, options.BatchSize, seed: 4, now) : [];
        var eventBytes = batches.SelectMany(b => b.Events).Average(e => e.Length);
        Console.WriteLine($"events       {options.Events:N0} track calls in {batches.Count:N0} batches of {options.BatchSize}, {eventBytes:N0} bytes each on average");

        var result = new IngestResult
        {
            StartedAt = session.StartedAt,
            Events = options.Events,
            Clients = options.Clients,
            BatchSize = options.BatchSize,
            SluiceBinary = session.Sluice,
            Machine = await MachineInfo.CollectAsync(session.Db, ct),
            EventBytes = eventBytes,
        };

        if (options.Validate)
        {
            var forwarding = await ForwardPhases.RunAsync(session, options, batches, warmUp, ct);
            Console.WriteLine($"results      {await ResultsFile.WriteAsync(session.Stem + ".validate", forwarding, ct)}");
            return forwarding.Error is null ? 0 : 1;
        }

        if (!options.WarehouseOnly)
        {
            result = result with { RawRuns = await RawWrite.MeasureAsync(session.Db, session.Cluster.DataDirectory, batches, ct) };
        }

        try
        {
            var run = new PhaseRunner(session, options, batches, warmUp, settle);
            if (options.AcceptOnly)
            {
                // The latency phase then runs in the accept-only process: the API and the queue, no sync.
                var (acceptOnly, acceptLatency) = await run.RunAsync(AcceptPhase, paced, ct);
                result = result with { AcceptOnly = acceptOnly, Latency = acceptLatency };
                IngestReport.Print(result);
                Console.WriteLine($"results      {await ResultsFile.WriteAsync(session.Stem, result, ct)}");
                return 0;
            }

            result = result with { AcceptOnly = (await run.RunAsync(AcceptPhase, paced: null, ct)).Phase };
            if (!options.WarehouseOnly)
            {
                var (eventsTable, latency) = await run.RunAsync(EventsPhase, paced, ct);
                result = result with { EventsTable = eventsTable, Latency = latency };
            }

            if (!options.NoWarehouse)
            {
                result = result with { Warehouse = (await run.RunAsync(WarehousePhase, paced: null, ct)).Phase };
            }
        }
        catch (BenchFailure e)
        {
            result = result with { Error = e.Message };
        }

        IngestReport.Print(result);
        Console.WriteLine($"results      {await ResultsFile.WriteAsync(session.Stem, result, ct)}");

        // A benchmark prints numbers; only a run that could not measure them fails.
        return result.Error is null ? 0 : 1;
    }

    private sealed class PhaseRunner(BenchSession session, IngestOptions options, IReadOnlyList<TrackBatch> batches, IReadOnlyList<TrackBatch> warmUp, IReadOnlyList<TrackBatch> settle)
    {
        public async Task<(IngestPhase Phase, FixedRateRun? Latency)> RunAsync(PhaseSpec spec, IReadOnlyList<TrackBatch>? paced, CancellationToken ct)
        {
            var config = Path.Combine(session.Work, $"{spec.Source}.yaml");
            await File.WriteAllTextAsync(config, Config(session.Cluster.Port, spec), ct);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var (sluice, uri) = await SluiceRunChild.StartAsync(session.Sluice, config, session.Work, $"{session.Stem}.{spec.Source}.log", http, ct);
            await using var _ = sluice;
            await using var sampler = ProcessSampler.Start(sluice.Id, SamplerInterval);
            Console.WriteLine($"{spec.Name,-12} sluice run -c {config} on {uri} (pid {sluice.Id})");

            using var load = new IngestLoad(uri, spec.WriteKey, options.Clients);
            var watch = WatchFor(spec);
            await WarmUpAsync(load, watch, spec, sluice, ct);
            var settling = watch is null ? await SettleAsync(load, spec, sluice, ct) : null;

            var postgresAtStart = ClusterCpu.Read(session.Cluster.DataDirectory);
            var walAtStart = await WalPositionAsync(ct);
            var clock = Stopwatch.StartNew();
            var accept = await load.SaturateAsync(spec.Name, batches, options.Clients, clock, ct, () => ProcessSampler.ReadCpuTime(sluice.Id));
            Console.WriteLine($"{spec.Name,-12} accepted {accept.Accepted:N0} of {accept.Sent:N0} in {accept.WallSeconds:F2} s: {accept.AcceptedPerSecond:N0} events/s{Failures(accept.Failures)}");

            // The server's CPU from the load's first request to the last answer (accept only) or the last event landed.
            var postgresAtEnd = watch is null ? ClusterCpu.Read(session.Cluster.DataDirectory) : null;
            var walAtEnd = watch is null ? await WalPositionAsync(ct) : 0m;
            double? landedSeconds = null;
            long? landed = null;
            double? landedCpu = null;
            IReadOnlyDictionary<string, long>? tables = null;
            if (watch is not null)
            {
                var warm = warmUp.Sum(b => (long)b.Events.Count);
                landedSeconds = await watch.WaitAsync(warm + accept.Accepted, LastKeys(spec), clock, sluice, ct);
                landedCpu = ProcessSampler.ReadCpuTime(sluice.Id)?.TotalSeconds;
                postgresAtEnd = ClusterCpu.Read(session.Cluster.DataDirectory);
                walAtEnd = await WalPositionAsync(ct);
                landed = await watch.CountAsync(ct) - warm;
                Console.WriteLine($"{spec.Name,-12} landed {landed:N0} in {landedSeconds:F2} s from the first request: {landed / landedSeconds:N0} events/s");
                tables = await TablesAsync(spec, ct);
            }

            FixedRateRun? latency = null;
            if (paced is not null)
            {
                Console.WriteLine($"{spec.Name,-12} fixed rate: {options.Rate:N0} events/s for {options.LatencySeconds} s ({options.Rate / (double)options.BatchSize:0.#} requests/s of {options.BatchSize}), open loop");
                latency = await load.FixedRateAsync(paced, options.Rate, ct);
            }

            await sluice.InterruptAsync(TimeSpan.FromSeconds(15));
            await sampler.StopAsync();
            if (sluice.ExitCode != 0)
            {
                Console.WriteLine($"note         sluice run exited with {sluice.ExitCode} when stopped; see {sluice.LogPath}");
            }

            if (watch is not null)
            {
                // Read once its sessions have ended (a backend flushes its statistics at exit): how the landing's pages
                // of the queue were read. An ordered index scan reads about one index entry per event; a bitmap scan
                // with a sort reads every unread entry of the source for each page.
                Console.WriteLine($"{spec.Name,-12} queue reads: {await QueueReadsAsync(ct)}");
            }

            var phase = new IngestPhase(spec.Name, accept, watch is null ? null : DestinationTable(spec), landed, landedSeconds, watch?.ProbeTrusted,
                sampler.CpuTime.TotalSeconds, sampler.PeakRssBytes / 1048576.0, tables)
            {
                CpuAtLandedSeconds = landedCpu,
                PostgresCpuSeconds = postgresAtEnd - postgresAtStart,
                WalBytes = (long)(walAtEnd - walAtStart),
                WarmUpEvents = warmUp.Sum(b => (long)b.Events.Count) + (settling?.Accepted ?? 0),
                Settling = settling,
            };
            return (phase, latency);
        }

        /// <summary>
        /// A few batches first: the server JITs its request path, the sync creates its tables, and the probe proves
        /// it can find rows by key. A failure here is a broken feature, reported before the long load.
        /// </summary>
        private async Task WarmUpAsync(IngestLoad load, LandingWatch? watch, PhaseSpec spec, ChildProcess sluice, CancellationToken ct)
        {
            var clock = Stopwatch.StartNew();
            var run = await load.SaturateAsync("warm-up", warmUp, 1, clock, ct);
            if (run.Accepted != run.Sent)
            {
                throw new BenchFailure($"the ingest API did not accept the warm-up ({run.Accepted:N0} of {run.Sent:N0}{Failures(run.Failures)}); last lines of {sluice.LogPath}:\n{sluice.Tail()}");
            }

            if (watch is not null)
            {
                var keys = Keys(spec, warmUp.SelectMany(b => b.Events));
                await watch.WarmUpAsync(run.Accepted, keys, sluice, ct);
            }
        }

        /// <summary>
        /// Accept only: the settling load (<see cref="IngestOptions.SettleEvents"/>) from all clients, untimed for the
        /// result but printed, so the timed load meets the server past its start-up JIT. Null when there is none.
        /// </summary>
        private async Task<AcceptRun?> SettleAsync(IngestLoad load, PhaseSpec spec, ChildProcess sluice, CancellationToken ct)
        {
            if (settle.Count == 0)
            {
                return null;
            }

            var run = await load.SaturateAsync("settle", settle, options.Clients, Stopwatch.StartNew(), ct, () => ProcessSampler.ReadCpuTime(sluice.Id));
            if (run.Accepted != run.Sent)
            {
                throw new BenchFailure($"the ingest API did not accept the settling load ({run.Accepted:N0} of {run.Sent:N0}{Failures(run.Failures)}); last lines of {sluice.LogPath}:\n{sluice.Tail()}");
            }

            Console.WriteLine($"{spec.Name,-12} settled: {run.Accepted:N0} events in {run.WallSeconds:F2} s, {run.AcceptedPerSecond:N0} events/s, {run.ServerCpuMicrosecondsPerEvent:F1} µs sluice CPU per event (cold process; not in the result)");
            return run;
        }

        private LandingWatch? WatchFor(PhaseSpec spec) => spec.SyncName is null ? null
            : spec == WarehousePhase
                ? new LandingWatch(session.Db, "web.tracks", DestinationTable(spec), "id", "text")
                : new LandingWatch(session.Db, "public.events", DestinationTable(spec), "event_id", "uuid");

        private static string DestinationTable(PhaseSpec spec) => spec == WarehousePhase ? "web.tracks" : "public.events";

        /// <summary>The keys of the last batches sent, one per client: the last events to reach the queue.</summary>
        private Array LastKeys(PhaseSpec spec) => Keys(spec, batches.TakeLast(options.Clients).SelectMany(b => b.Events));

        /// <summary>The destination's key of each event: the warehouse keeps the messageId as <c>id</c>; the events table, the derived event_id.</summary>
        private static Array Keys(PhaseSpec spec, IEnumerable<TrackEvent> events) => spec == WarehousePhase
            ? events.Select(e => e.MessageId.ToString("D")).ToArray()
            : events.Select(e => IngestEventId.Of(spec.Source, e.MessageId)).ToArray();

        /// <summary>Rows per table in the destination's schema (the warehouse: tracks and one table per event name).</summary>
        private async Task<string> QueueReadsAsync(CancellationToken ct)
        {
            await using var command = session.Db.CreateCommand(
                """
                SELECT format('%s index scans, %s index entries read, %s heap rows fetched by index; table: %s seq scans',
                              i.idx_scan, i.idx_tup_read, t.idx_tup_fetch, t.seq_scan)
                FROM pg_stat_all_indexes i JOIN pg_stat_all_tables t USING (relid)
                WHERE i.indexrelname = 'ingest_queue_by_source'
                """);
            return await command.ExecuteScalarAsync(ct) as string ?? "no ingest queue index found";
        }

        /// <summary>The cluster's current WAL insert position in bytes: what the load wrote to the WAL is the difference.</summary>
        private async Task<decimal> WalPositionAsync(CancellationToken ct)
        {
            await using var command = session.Db.CreateCommand("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')");
            return (decimal)(await command.ExecuteScalarAsync(ct))!;
        }

        private async Task<IReadOnlyDictionary<string, long>> TablesAsync(PhaseSpec spec, CancellationToken ct)
        {
            var schema = spec == WarehousePhase ? "web" : "public";
            var tables = new SortedDictionary<string, long>(StringComparer.Ordinal);
            var names = new List<string>();
            await using (var list = session.Db.CreateCommand("SELECT tablename FROM pg_tables WHERE schemaname = $1 AND ($1 <> 'public' OR tablename = 'events') ORDER BY 1"))
            {
                list.Parameters.Add(new NpgsqlParameter { Value = schema });
                await using var reader = await list.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    names.Add(reader.GetString(0));
                }
            }

            foreach (var name in names)
            {
                await using var count = session.Db.CreateCommand($"SELECT count(*) FROM \"{schema}\".\"{name.Replace("\"", "\"\"", StringComparison.Ordinal)}\"");
                tables[name] = (long)(await count.ExecuteScalarAsync(ct))!;
            }

            return tables;
        }
    }

    private static string Failures(IReadOnlyDictionary<string, long> failures) =>
        failures.Count == 0 ? "" : "; not accepted: " + string.Join(", ", failures.Select(f => $"{f.Value:N0} × {f.Key}"));

    /// <summary>The config of one phase: the state store and the destination on the bench database, one ingest source, at most one sync.</summary>
    private static string Config(int postgresPort, PhaseSpec spec)
    {
        var syncs = spec.SyncName is null
            ? "syncs: {}"
            : $$"""
                syncs:
                  {{spec.SyncName}}:
                    source: { connection: {{spec.Source}} }
                    {{spec.Destination}}
                """;
        return $$"""
            # Written by bench/Sluice.Bench (ingest, phase '{{spec.Name}}') for one run.
            version: 1
            state: { connection: wh }
            connections:
              wh: { type: postgres, host: 127.0.0.1, port: {{postgresPort}}, database: bench, user: postgres }
              {{spec.Source}}: { type: ingest, write_key: {{spec.WriteKey}} }
            {{syncs}}

            """;
    }
}
