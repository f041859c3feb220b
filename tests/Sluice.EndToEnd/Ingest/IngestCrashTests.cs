using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Sluice.EndToEnd.Ingest;

/// <summary>
/// Durable before 200: <c>sluice run</c> is killed with SIGKILL twice while clients send events and its sync lands
/// them; every event that was answered 200 is in the events table once it has caught up, exactly once.
/// </summary>
public sealed class IngestCrashTests
{
    private const string WriteKey = "crash-web-write-key";
    private const int Senders = 4;
    private const int PerBatch = 50;

    [Fact]
    public async Task Killing_sluice_run_while_it_ingests_loses_no_acknowledged_event_and_lands_none_twice()
    {
        await using var bed = await TestBed.CreateAsync(nameof(IngestCrashTests), "SELECT 1", e => Config(e, batchSize: 200));
        var url = $"http://127.0.0.1:{FreePort()}";
        var acknowledged = new ConcurrentBag<string>();
        using var stopSending = new CancellationTokenSource();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(WriteKey + ":")));
        var senders = Enumerable.Range(0, Senders).Select(s => Task.Run(() => SendUntilStoppedAsync(http, url, s, acknowledged, stopSending.Token))).ToArray();

        for (var kill = 0; kill < 2; kill++)
        {
            using var server = await StartAsync(bed, url);
            var target = acknowledged.Count + 1_000;
            await Until(() => acknowledged.Count >= target, "events acknowledged before the kill");
            server.Kill(entireProcessTree: true); // SIGKILL: no clean-up, no finally blocks
            await server.WaitForExitAsync();
        }

        using var last = await StartAsync(bed, url);
        var beforeStop = acknowledged.Count + 500;
        await Until(() => acknowledged.Count >= beforeStop, "events acknowledged after the restarts");
        await stopSending.CancelAsync();
        await Task.WhenAll(senders);

        var expected = acknowledged.ToHashSet(StringComparer.Ordinal);
        await Until(async () => await LandedAsync(bed, expected) == expected.Count, "every acknowledged event in public.events");
        Assert.Equal(0L, await bed.ScalarAsync("SELECT count(*) FROM (SELECT metadata->>'messageId' FROM public.events GROUP BY 1 HAVING count(*) > 1) d"));
        last.Kill(entireProcessTree: true);
    }

    [Fact]
    public async Task A_second_sluice_run_accepts_too_and_takes_the_landing_over_when_the_first_is_killed()
    {
        await using var bed = await TestBed.CreateAsync(nameof(A_second_sluice_run_accepts_too_and_takes_the_landing_over_when_the_first_is_killed), "SELECT 1", e => Config(e, batchSize: null));
        var (first, second) = ($"http://127.0.0.1:{FreePort()}", $"http://127.0.0.1:{FreePort()}");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(WriteKey + ":")));
        // The first process lands the first events, so it holds the sync's lock before the standby starts.
        using var runningFirst = await StartAsync(bed, first);
        var before = await PostAsync(http, first, "before-1");
        await Until(async () => await LandedAsync(bed, before) == before.Count, "the first process to land events");
        using var standby = await StartAsync(bed, second);

        // Both accept events into the one queue; the first lands them all.
        var toStandby = await PostAsync(http, second, "before-2");
        await Until(async () => await LandedAsync(bed, toStandby) == toStandby.Count, "events the standby accepted to land");
        before.AddRange(toStandby);

        // Killed, the first process's lock goes with its connection; the standby takes the sync over.
        runningFirst.Kill(entireProcessTree: true);
        await runningFirst.WaitForExitAsync();
        var after = await PostAsync(http, second, "after");
        await Until(async () => await LandedAsync(bed, after) == after.Count, "the standby to take the landing over");

        Assert.Equal((long)(before.Count + after.Count), await bed.ScalarAsync("SELECT count(*) FROM public.events"));
        standby.Kill(entireProcessTree: true);
    }

    /// <summary>An ingest source and a sync landing it in <c>public.events</c>, flushed every 50 ms.</summary>
    private static string Config(TestBedEndpoints e, int? batchSize) => $"""
        {e.Connections(segment: false)}
          web:
            type: ingest
            write_key: {WriteKey}
        syncs:
          web_events:
            source:
              connection: web
            destination:
              connection: app
              table: public.events
              create_table: true
            batch:
              flush_window: 50ms{(batchSize is { } size ? $"\n      size: {size}" : "")}
        """;

    private static async Task<List<string>> PostAsync(HttpClient http, string url, string prefix)
    {
        var ids = Enumerable.Range(0, PerBatch).Select(i => $"{prefix}-{i}").ToList();
        var batch = ids.Select(id => new { type = "track", messageId = id, userId = "u1", @event = "Fail Over Tested" });
        using var body = new StringContent(JsonSerializer.Serialize(new { batch }), Encoding.UTF8, "application/json");
        using var answer = await http.PostAsync(new Uri(url + "/v1/batch"), body);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        return ids;
    }

    /// <summary>Sends batches of new events, remembering the messageIds of every batch answered 200; errors (the server is down) are retried with new events.</summary>
    private static async Task SendUntilStoppedAsync(HttpClient http, string url, int sender, ConcurrentBag<string> acknowledged, CancellationToken stop)
    {
        var sequence = 0;
        while (!stop.IsCancellationRequested)
        {
            var ids = Enumerable.Range(0, PerBatch).Select(_ => $"crash-{sender}-{sequence++}").ToList();
            var batch = ids.Select(id => new { type = "track", messageId = id, userId = $"u{sender}", @event = "Crash Tested", properties = new { sender } });
            try
            {
                using var body = new StringContent(JsonSerializer.Serialize(new { batch }), Encoding.UTF8, "application/json");
                using var answer = await http.PostAsync(new Uri(url + "/v1/batch"), body, stop);
                if (answer.StatusCode == HttpStatusCode.OK)
                {
                    ids.ForEach(acknowledged.Add);
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // The server is down (killed) or the test is stopping: this batch was not acknowledged.
                if (!stop.IsCancellationRequested)
                {
                    await Task.Delay(50, CancellationToken.None);
                }
            }
        }
    }

    private static async Task<long> LandedAsync(TestBed bed, IReadOnlyCollection<string> messageIds)
    {
        await using var exists = bed.Db.CreateCommand("SELECT to_regclass('public.events') IS NOT NULL");
        if (await exists.ExecuteScalarAsync() is not true)
        {
            return 0;
        }

        await using var count = bed.Db.CreateCommand("SELECT count(*) FROM public.events WHERE metadata->>'messageId' = ANY($1)");
        count.Parameters.Add(new Npgsql.NpgsqlParameter { Value = messageIds.ToArray() });
        return (long)(await count.ExecuteScalarAsync())!;
    }

    private static async Task<Process> StartAsync(TestBed bed, string url)
    {
        var server = bed.StartSluice("run", "-c", bed.ConfigPath, "--listen", url);
        server.OutputDataReceived += (_, _) => { };
        server.ErrorDataReceived += (_, _) => { };
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        try
        {
            await WaitListeningAsync(server, probe, url);
        }
        catch
        {
            // The caller never gets the process to stop: stop it here (it outlived a failed test run once), and let
            // the failure itself propagate unchanged.
            server.Kill(entireProcessTree: true);
            throw;
        }

        return server;
    }

    private static async Task WaitListeningAsync(Process server, HttpClient probe, string url)
    {
        await Until(async () =>
        {
            Assert.False(server.HasExited, "sluice run exited early");
            try
            {
                return (await probe.GetAsync(new Uri(url + "/healthz"))).IsSuccessStatusCode;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet, or too slow to answer on a loaded machine (a probe that timed out): ask again
                // until the deadline, as for a refused connection.
                return false;
            }
        }, "sluice run listening");
    }

    private static Task Until(Func<bool> condition, string what) => Until(() => Task.FromResult(condition()), what);

    private static async Task Until(Func<Task<bool>> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(90), $"gave up waiting for {what}");
            await Task.Delay(50);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
