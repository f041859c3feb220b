using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using Sluice.Bench.Harness;
using Sluice.Testing.Fuzz;

namespace Sluice.Bench.Fuzz;

/// <summary>
/// The ingest fuzz test of the suite, run long: hostile Segment calls from <see cref="HostileSegmentCalls"/> through
/// a real <c>sluice run</c> with an events-table and a warehouse sync on a fresh durable cluster. Not a speed
/// measurement: it prints how the requests were answered and how every event ended, and fails when any promise
/// broke (a 5xx, an accepted event neither landed nor dead-lettered, a canary that never lands).
/// </summary>
internal static class FuzzBenchmark
{
    private const string WriteKey = "bench-fuzz";
    private static readonly TimeSpan LandingDeadline = TimeSpan.FromMinutes(5);

    public static async Task<int> RunAsync(FuzzOptions options, CancellationToken ct)
    {
        await using var session = await BenchSession.StartAsync("fuzz", options.SluiceBinary, options.Keep, ct);
        var config = Path.Combine(session.Work, "fuzz.yaml");
        await File.WriteAllTextAsync(config, Config(session.Cluster.Port), ct);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var (sluice, uri) = await SluiceRunChild.StartAsync(session.Sluice, config, session.Work, $"{session.Stem}.sluice.log", http, ct);
        await using var _ = sluice;

        Console.WriteLine($"fuzz         {options.Requests:N0} requests, seed {options.Seed}, to sluice run on {uri} (pid {sluice.Id})");
        var clock = Stopwatch.StartNew();
        var traffic = await HostileTraffic.SendAsync(http, uri, WriteKey, HostileSegmentCalls.Generate(options.Requests, (ulong)options.Seed), ct);
        var sent = clock.Elapsed;
        await SendCanaryAsync(http, uri, ct);

        var check = new IngestLandingCheck(session.Db, new IngestLandingTargets("web", "public.events", "web_events", "web", "web_warehouse"));
        IngestLandingReport report;
        while (!(report = await check.CheckAsync([.. traffic.Accepted, new HostileCall("track", "fz-canary")], ct)).Holds && clock.Elapsed - sent < LandingDeadline)
        {
            await Task.Delay(500, ct);
        }

        Console.WriteLine($"answered     {traffic.Sent:N0} requests in {sent.TotalSeconds:N1} s: {traffic.Sent - traffic.Refused - traffic.BadAnswers.Count:N0} accepted ({traffic.Accepted.Count:N0} calls), {traffic.Refused:N0} refused with a reason, {traffic.BadAnswers.Count:N0} bad answers");
        Console.WriteLine($"events table {report.LandedInEventsTable:N0} landed, {report.DeadLetteredFromEventsTable:N0} dead-lettered of {report.Queued:N0} queued");
        Console.WriteLine($"warehouse    {report.LandedInWarehouse:N0} landed, {report.DeadLetteredFromWarehouse:N0} dead-lettered of {report.Queued:N0} queued");
        Console.WriteLine($"settled in   {(clock.Elapsed - sent).TotalSeconds:N1} s after the last request");
        foreach (var line in traffic.BadAnswers.Concat(report.Violations).Take(20))
        {
            Console.WriteLine($"  FAILED     {line}");
        }

        var holds = traffic.BadAnswers.Count == 0 && report.Holds;
        Console.WriteLine(holds ? "verdict      holds" : $"verdict      BROKEN ({traffic.BadAnswers.Count} bad answers, {report.Violations.Count} violations); log: {sluice.LogPath}");
        return holds ? 0 : 1;
    }

    private static async Task SendCanaryAsync(HttpClient http, Uri api, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(api, "/v1/track"))
        {
            Content = new StringContent("""{"type":"track","messageId":"fz-canary","userId":"canary","event":"Canary"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(WriteKey + ":")));
        using var answer = await http.SendAsync(request, ct);
        if (!answer.IsSuccessStatusCode)
        {
            throw new BenchFailure($"the canary was answered {(int)answer.StatusCode}");
        }
    }

    private static string Config(int postgresPort) => $$"""
        # Written by bench/Sluice.Bench (fuzz) for one run.
        version: 1
        state: { connection: wh }
        connections:
          wh: { type: postgres, host: 127.0.0.1, port: {{postgresPort}}, database: bench, user: postgres }
          web: { type: ingest, write_key: {{WriteKey}} }
        syncs:
          web_events:
            source: { connection: web }
            destination: { connection: wh, table: public.events, create_table: true }
          web_warehouse:
            source: { connection: web }
            destination: { connection: wh, layout: warehouse, schema: web }

        """;
}
