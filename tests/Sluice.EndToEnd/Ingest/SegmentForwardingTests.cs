using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Sluice.Testing;

namespace Sluice.EndToEnd.Ingest;

/// <summary>
/// Sluice as a first-party collector in front of Segment: clients send to <c>sluice run</c>, a sync with
/// <c>forward: true</c> passes each event on to Segment (the emulator) under the messageId it came with.
/// </summary>
public sealed class SegmentForwardingTests
{
    private const string WriteKey = "forward-web-write-key-0123456789";

    [Fact]
    public async Task Events_from_segments_node_client_reach_segment_once_with_their_message_ids_context_and_timestamps()
    {
        await NodeTooling.EnsureInstalledAsync(NodeTooling.ClientFolder);
        await using var bed = await TestBed.CreateAsync(nameof(Events_from_segments_node_client_reach_segment_once_with_their_message_ids_context_and_timestamps), "SELECT 1", Config);
        var url = $"http://127.0.0.1:{FreePort()}";
        using var server = await StartAsync(bed, url);
        try
        {
            var result = await NodeTooling.RunAsync(NodeTooling.Node, ["analytics-node.mjs", url, WriteKey, "fwd"], NodeTooling.ClientFolder, TimeSpan.FromSeconds(90));
            Assert.True(result.Succeeded, $"node analytics-node.mjs failed (exit {result.ExitCode}):\n{result.Output}");
            await Eventually.HoldsAsync(() => bed.Emulator.Messages().Count >= 6, "the six calls forwarded to Segment");

            var queued = await QueuedAsync(bed);
            var received = bed.Emulator.Messages();
            Assert.Equal(queued.Keys.Order(), received.Select(m => m.MessageId).Order());
            Assert.All(received, m => Assert.Equal(1, m.TimesReceived));
            Assert.All(received, m => Assert.StartsWith("node-next-", m.MessageId, StringComparison.Ordinal));

            var track = received.Single(m => m.Type == "track");
            using var forwarded = JsonDocument.Parse(track.Json);
            using var stored = JsonDocument.Parse(queued[track.MessageId]);
            var root = forwarded.RootElement;
            Assert.Equal("Order Completed", root.GetProperty("event").GetString());
            Assert.Equal(42.5, root.GetProperty("properties").GetProperty("revenue").GetDouble());
            Assert.Equal("@segment/analytics-node", root.GetProperty("context").GetProperty("library").GetProperty("name").GetString());
            Assert.Equal("fwd-user", root.GetProperty("userId").GetString());
            // Segment's timestamp is the one Sluice corrected for the client's clock: forwarded as the event's time,
            // measured against Sluice's own sentAt, it comes out the same (within the time the request took).
            var sluiceTime = stored.RootElement.GetProperty("timestamp").GetDateTimeOffset();
            var segmentTime = root.GetProperty("timestamp").GetDateTimeOffset();
            Assert.True((segmentTime - sluiceTime).Duration() < TimeSpan.FromSeconds(5), $"Sluice said {sluiceTime:O}, Segment made it {segmentTime:O}");
            Assert.Equal(sluiceTime, root.GetProperty("originalTimestamp").GetDateTimeOffset());
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task Killing_sluice_run_while_it_forwards_gets_every_acknowledged_event_to_segment_under_its_message_id()
    {
        await using var bed = await TestBed.CreateAsync(nameof(Killing_sluice_run_while_it_forwards_gets_every_acknowledged_event_to_segment_under_its_message_id), "SELECT 1", Config);
        var url = $"http://127.0.0.1:{FreePort()}";
        var acknowledged = new ConcurrentBag<string>();
        using var stopSending = new CancellationTokenSource();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(WriteKey + ":")));
        var senders = Enumerable.Range(0, 3).Select(s => Task.Run(() => SendUntilStoppedAsync(http, url, s, acknowledged, stopSending.Token))).ToArray();

        for (var kill = 0; kill < 2; kill++)
        {
            using var server = await StartAsync(bed, url);
            try
            {
                var forwardedBefore = bed.Emulator.Messages().Count;
                var target = acknowledged.Count + 1_000;
                // Killed while it forwards: events accepted, some of them already at Segment, more on their way.
                await Eventually.HoldsAsync(() => acknowledged.Count >= target && bed.Emulator.Messages().Count > forwardedBefore, "events accepted and forwarded before the kill");
            }
            finally
            {
                server.Kill(entireProcessTree: true); // SIGKILL: no clean-up, no finally blocks in sluice
                await server.WaitForExitAsync();
            }
        }

        using var last = await StartAsync(bed, url);
        try
        {
            var beforeStop = acknowledged.Count + 300;
            await Eventually.HoldsAsync(() => acknowledged.Count >= beforeStop, "events accepted after the restarts");
            await stopSending.CancelAsync();
            await Task.WhenAll(senders);

            // What was stored is what must reach Segment: every event answered 200, and any a kill (or the test's stop)
            // kept from being answered after it was stored, which the client resent under new ids here.
            var stored = new HashSet<string>(StringComparer.Ordinal);
            await Eventually.HoldsAsync(async () =>
            {
                stored = (await QueuedAsync(bed)).Keys.ToHashSet(StringComparer.Ordinal);
                return stored.SetEquals(bed.Emulator.Messages().Select(m => m.MessageId));
            }, "every stored event at Segment, and nothing else", state: () => $"{bed.Emulator.Messages().Count} at Segment, {stored.Count} stored");
            Assert.Subset(stored, acknowledged.ToHashSet(StringComparer.Ordinal));
            // Every event once: a resend of a batch in flight at a kill came under the same messageId, so Segment's dedup
            // (the emulator's too) holds it once.
            Assert.Equal(stored.Count, bed.Emulator.Messages().Count);
        }
        finally
        {
            last.Kill(entireProcessTree: true);
            await last.WaitForExitAsync();
        }
    }

    private static string Config(TestBedEndpoints e) => $"""
        {e.Connections()}
          web:
            type: ingest
            write_key: {WriteKey}
        syncs:
          web_to_segment:
            source:
              connection: web
            destination:
              connection: segment
              forward: true
            batch:
              flush_window: 50ms
        """;

    /// <summary>The stored payload of every event in the ingest queue, by messageId.</summary>
    private static async Task<Dictionary<string, string>> QueuedAsync(TestBed bed)
    {
        await using var command = bed.Db.CreateCommand("SELECT payload FROM sluice.ingest_queue");
        await using var reader = await command.ExecuteReaderAsync();
        var events = new Dictionary<string, string>(StringComparer.Ordinal);
        while (await reader.ReadAsync())
        {
            var payload = IngestApiHarness.PayloadText(reader.GetValue(0));
            using var json = JsonDocument.Parse(payload);
            events[json.RootElement.GetProperty("messageId").GetString()!] = payload;
        }

        return events;
    }

    /// <summary>Sends batches of new events, remembering the messageIds of every batch answered 200.</summary>
    private static async Task SendUntilStoppedAsync(HttpClient http, string url, int sender, ConcurrentBag<string> acknowledged, CancellationToken stop)
    {
        var sequence = 0;
        while (!stop.IsCancellationRequested)
        {
            var ids = Enumerable.Range(0, 50).Select(_ => $"fwd-{sender}-{sequence++}").ToList();
            var batch = ids.Select(id => new { type = "track", messageId = id, userId = $"u{sender}", @event = "Forward Tested", properties = new { sender } });
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
            await Eventually.HoldsAsync(async () =>
            {
                Assert.False(server.HasExited, "sluice run exited early");
                try
                {
                    return (await probe.GetAsync(new Uri(url + "/healthz"))).IsSuccessStatusCode;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    return false; // not listening yet
                }
            }, "sluice run listening");
        }
        catch
        {
            // The caller never gets the process to stop: stop it here, and let the failure propagate unchanged.
            server.Kill(entireProcessTree: true);
            throw;
        }

        return server;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
