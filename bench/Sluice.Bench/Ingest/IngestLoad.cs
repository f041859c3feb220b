using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Sluice.Bench.Harness;

namespace Sluice.Bench.Ingest;

/// <summary>HTTP clients of the ingest API on loopback: <c>POST /v1/batch</c> with the write key as Basic auth user.</summary>
internal sealed class IngestLoad : IDisposable
{
    private readonly HttpClient _http;
    private readonly Uri _batchUri;
    private readonly AuthenticationHeaderValue _auth;

    public IngestLoad(Uri server, string writeKey, int connections)
    {
        // One connection per client, kept open, as an SDK or a collector behind a load balancer keeps them.
        _http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            Timeout = TimeSpan.FromSeconds(60),
        };
        _batchUri = new Uri(server, "/v1/batch");
        _auth = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(writeKey + ":")));
    }

    /// <summary>
    /// Closed loop: <paramref name="clients"/> workers, each sending its next batch as soon as the previous one was
    /// answered, until every batch was sent once. Timed from the first request out to the last answer.
    /// </summary>
    /// <param name="clock">Started by the caller just before, so that it can time what follows (landing) from the same origin.</param>
    /// <param name="serverCpu">Reads the server's CPU time; when given, it is read as the load begins, halfway (the server's
    /// JIT has mostly settled by then) and at the end, for <see cref="AcceptRun.ServerCpuSeconds"/> and the second half's share.</param>
    public async Task<AcceptRun> SaturateAsync(string phase, IReadOnlyList<TrackBatch> batches, int clients, Stopwatch clock, CancellationToken ct, Func<TimeSpan?>? serverCpu = null)
    {
        var half = batches.Count / 2;
        var serverAtStart = serverCpu?.Invoke();
        TimeSpan? serverAtHalf = null;
        long acceptedAfterHalf = 0;
        var next = -1;
        var latencies = new ConcurrentBag<double>();
        var failures = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        long accepted = 0, sent = 0;
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var workers = Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < batches.Count)
            {
                var batch = batches[index];
                if (index == half)
                {
                    serverAtHalf = serverCpu?.Invoke();
                }

                Interlocked.Add(ref sent, batch.Events.Count);
                var requestStart = clock.Elapsed;
                var outcome = await SendAsync(batch, ct);
                latencies.Add((clock.Elapsed - requestStart).TotalMilliseconds);
                if (outcome is null)
                {
                    Interlocked.Add(ref accepted, batch.Events.Count);
                    if (index >= half)
                    {
                        Interlocked.Add(ref acceptedAfterHalf, batch.Events.Count);
                    }
                }
                else
                {
                    failures.AddOrUpdate(outcome, 1, (_, n) => n + 1);
                }
            }
        }, ct)).ToArray();
        await Task.WhenAll(workers);
        var wall = clock.Elapsed.TotalSeconds;
        var serverAtEnd = serverCpu?.Invoke();
        var clientCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
        return new AcceptRun(phase, clients, sent, accepted, wall, clientCpu, new SortedDictionary<string, long>(failures, StringComparer.Ordinal), LatencySummary.Of(latencies))
        {
            ServerCpuSeconds = (serverAtEnd - serverAtStart)?.TotalSeconds,
            SecondHalfServerCpuSeconds = (serverAtEnd - serverAtHalf)?.TotalSeconds,
            SecondHalfAccepted = acceptedAfterHalf,
        };
    }

    /// <summary>
    /// Open loop at a fixed rate: request <c>i</c> goes out at <c>start + i × interval</c> whether or not the earlier
    /// ones were answered, and its latency counts from that scheduled time, so a stalled server shows as latency
    /// rather than as fewer requests (no coordinated omission).
    /// </summary>
    public async Task<FixedRateRun> FixedRateAsync(IReadOnlyList<TrackBatch> batches, double eventsPerSecond, CancellationToken ct)
    {
        var interval = TimeSpan.FromSeconds(batches[0].Events.Count / eventsPerSecond);
        var latencies = new ConcurrentBag<double>();
        var serviceTimes = new ConcurrentBag<double>();
        var failures = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        long accepted = 0;
        double latestSend = 0;
        var inFlight = new List<Task>(batches.Count);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < batches.Count; i++)
        {
            var due = interval * i;
            var wait = due - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, ct);
            }

            latestSend = Math.Max(latestSend, (clock.Elapsed - due).TotalMilliseconds);
            var batch = batches[i];
            inFlight.Add(Task.Run(async () =>
            {
                var sentAt = clock.Elapsed;
                var outcome = await SendAsync(batch, ct);
                var answeredAt = clock.Elapsed;
                latencies.Add((answeredAt - due).TotalMilliseconds);
                serviceTimes.Add((answeredAt - sentAt).TotalMilliseconds);
                if (outcome is null)
                {
                    Interlocked.Add(ref accepted, batch.Events.Count);
                }
                else
                {
                    failures.AddOrUpdate(outcome, 1, (_, n) => n + 1);
                }
            }, ct));
        }

        await Task.WhenAll(inFlight);
        var sent = batches.Sum(b => (long)b.Events.Count);
        return new FixedRateRun(eventsPerSecond, batches.Count, sent, accepted, clock.Elapsed.TotalSeconds, latestSend,
            new SortedDictionary<string, long>(failures, StringComparer.Ordinal), LatencySummary.Of(latencies), LatencySummary.Of(serviceTimes));
    }

    /// <summary>Null for a 200; otherwise what went wrong, as a short label to count.</summary>
    private async Task<string?> SendAsync(TrackBatch batch, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _batchUri) { Content = new ByteArrayContent(batch.Body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = _auth;
        try
        {
            using var response = await _http.SendAsync(request, ct);
            // Drain the answer so the connection is reused.
            await response.Content.ReadAsByteArrayAsync(ct);
            return response.StatusCode == HttpStatusCode.OK ? null : ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !ct.IsCancellationRequested))
        {
            return e.GetType().Name;
        }
    }

    public void Dispose() => _http.Dispose();
}
