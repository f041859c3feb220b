using System.Diagnostics;
using Sluice.Bench.Harness;
using Sluice.Emulators.Segment;

namespace Sluice.Bench.Ingest;

/// <summary>
/// <c>ingest --validate</c>: the same track calls accepted by <c>sluice run</c> and forwarded to the Segment emulator
/// (in this process), first as is, then through <c>validate:</c> rules against two reference tables (every event
/// passes: the cost measured is the lookups, not quarantining). Each phase has its own ingest source and
/// <c>sluice run</c>. The rate is accepted events over the time from the first request to the last event at Segment.
/// </summary>
internal static class ForwardPhases
{
    /// <summary>Every user id and SKU <see cref="TrackEvents"/> makes, so that all events are valid.</summary>
    private const string ReferenceTables = """
        DROP TABLE IF EXISTS public.users, public.products;
        CREATE TABLE public.users (id text PRIMARY KEY, plan text NOT NULL DEFAULT 'free');
        INSERT INTO public.users (id) SELECT 'user_' || lpad(n::text, 7, '0') FROM generate_series(1, 250000) n;
        CREATE TABLE public.products (sku text PRIMARY KEY, name text);
        INSERT INTO public.products SELECT 'sku_' || n, 'product ' || n FROM generate_series(10000, 99999) n;
        ANALYZE public.users, public.products;
        """;

    private const string Rules = """
            validate:
              user: { field: userId, exists_in: wh.public.users.id }
              product: { field: properties.product_id, exists_in: wh.public.products.sku, when: [Product Viewed, Product Added] }
        """;

    public static async Task<ForwardResult> RunAsync(BenchSession session, IngestOptions options, IReadOnlyList<TrackBatch> batches, IReadOnlyList<TrackBatch> warmUp, CancellationToken ct)
    {
        await using (var seed = session.Db.CreateCommand(ReferenceTables))
        {
            await seed.ExecuteNonQueryAsync(ct);
        }

        await using var emulator = await SegmentEmulator.StartAsync(new SegmentEmulatorOptions { Port = 0 }, ct);
        var result = new ForwardResult { StartedAt = session.StartedAt, Events = options.Events, Clients = options.Clients, BatchSize = options.BatchSize };
        try
        {
            result = result with { Plain = await RunPhaseAsync(session, options, emulator, "forward", "web_forward", validate: false, batches, warmUp, ct) };
            emulator.Reset();
            result = result with { Validated = await RunPhaseAsync(session, options, emulator, "fwd+validate", "web_validated", validate: true, batches, warmUp, ct) };
        }
        catch (BenchFailure e)
        {
            result = result with { Error = e.Message };
        }

        if (result is { Plain: { } plain, Validated: { } validated })
        {
            Console.WriteLine();
            Console.WriteLine($"{"phase",-14}{"accepted/s",12}{"at Segment/s",14}{"seconds",9}");
            foreach (var phase in new[] { plain, validated })
            {
                Console.WriteLine($"{phase.Name,-14}{phase.AcceptedPerSecond,12:N0}{phase.ForwardedPerSecond,14:N0}{phase.Seconds,9:F2}");
            }

            Console.WriteLine($"validation costs {result.ValidationCost:P1} of the forwarding throughput (target: under 25%)");
        }

        return result;
    }

    private static async Task<ForwardPhase> RunPhaseAsync(
        BenchSession session, IngestOptions options, SegmentEmulator emulator, string name, string source, bool validate,
        IReadOnlyList<TrackBatch> batches, IReadOnlyList<TrackBatch> warmUp, CancellationToken ct)
    {
        var writeKey = "bench-" + source;
        var config = Path.Combine(session.Work, $"{source}.yaml");
        await File.WriteAllTextAsync(config, $$"""
            # Written by bench/Sluice.Bench (ingest --validate, phase '{{name}}') for one run.
            version: 1
            state: { connection: wh }
            connections:
              wh: { type: postgres, host: 127.0.0.1, port: {{session.Cluster.Port}}, database: bench, user: postgres }
              {{source}}: { type: ingest, write_key: {{writeKey}} }
              segment: { type: segment, write_key: bench-segment, endpoint: {{emulator.BaseUrl}}, rate_limit: { requests_per_second: 1000 } }
            syncs:
              {{source}}_to_segment:
                source: { connection: {{source}} }
                destination: { connection: segment, forward: true }
            {{(validate ? Rules : "")}}

            """, ct);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var (sluice, uri) = await SluiceRunChild.StartAsync(session.Sluice, config, session.Work, $"{session.Stem}.{source}.log", http, ct);
        await using var _ = sluice;
        Console.WriteLine($"{name,-12} sluice run -c {config} on {uri} (pid {sluice.Id})");
        using var load = new IngestLoad(uri, writeKey, options.Clients);

        var warm = await load.SaturateAsync("warm-up", warmUp, 1, Stopwatch.StartNew(), ct);
        await WaitForAsync(emulator, warm.Accepted, sluice, TimeSpan.FromMinutes(2), ct);

        var clock = Stopwatch.StartNew();
        var accept = await load.SaturateAsync(name, batches, options.Clients, clock, ct);
        await WaitForAsync(emulator, warm.Accepted + accept.Accepted, sluice, TimeSpan.FromMinutes(15), ct);
        var seconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"{name,-12} accepted {accept.Accepted:N0} in {accept.WallSeconds:F2} s, all at Segment after {seconds:F2} s: {accept.Accepted / seconds:N0} events/s");
        await sluice.InterruptAsync(TimeSpan.FromSeconds(15));
        return new ForwardPhase(name, accept.Accepted, accept.AcceptedPerSecond, seconds, accept.Accepted / seconds);
    }

    private static async Task WaitForAsync(SegmentEmulator emulator, long unique, ChildProcess sluice, TimeSpan limit, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (emulator.Stats.Unique < unique)
        {
            if (sluice.HasExited || clock.Elapsed > limit)
            {
                throw new BenchFailure($"{emulator.Stats.Unique:N0} of {unique:N0} events reached the emulator; last lines of {sluice.LogPath}:\n{sluice.Tail()}");
            }

            await Task.Delay(20, ct);
        }
    }
}

/// <summary>One forwarding phase: events accepted, and how fast they all reached Segment.</summary>
internal sealed record ForwardPhase(string Name, long Accepted, double AcceptedPerSecond, double Seconds, double ForwardedPerSecond);

/// <summary>What <c>ingest --validate</c> measured (<c>bench/results/ingest-*.validate.json</c>).</summary>
internal sealed record ForwardResult
{
    public required DateTimeOffset StartedAt { get; init; }

    public required int Events { get; init; }

    public required int Clients { get; init; }

    public required int BatchSize { get; init; }

    public ForwardPhase? Plain { get; init; }

    public ForwardPhase? Validated { get; init; }

    /// <summary>The share of the forwarding throughput validation takes: 1 − validated/plain.</summary>
    public double? ValidationCost => Plain is { } plain && Validated is { } validated ? 1 - validated.ForwardedPerSecond / plain.ForwardedPerSecond : null;

    public string? Error { get; init; }
}
