using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Sluice.Testing;

namespace Sluice.EndToEnd.Ingest;

/// <summary>
/// Real tracking clients (pinned by node/package-lock.json) against the real <c>sluice run</c> binary: what the
/// client counts as delivered must be in the ingest queue.
/// </summary>
public sealed class NodeClientTests
{
    private const string WriteKey = "e2e-web-write-key-0123456789";
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Segments_node_client_delivers_all_six_call_types_into_the_ingest_queue()
    {
        await NodeTooling.EnsureInstalledAsync(NodeTooling.ClientFolder);
        await using var bed = await TestBed.CreateAsync(nameof(Segments_node_client_delivers_all_six_call_types_into_the_ingest_queue), "SELECT 1", e => $"""
            connections:
              db:
                type: postgres
                host: {e.Host}
                port: {e.Port}
                database: {e.Database}
                user: {e.User}
              web:
                type: ingest
                write_key: {WriteKey}
            state:
              connection: db
            """);
        var url = $"http://127.0.0.1:{FreePort()}";
        using var server = bed.StartSluice("run", "-c", bed.ConfigPath, "--listen", url);
        var output = Task.WhenAll(server.StandardOutput.ReadToEndAsync(), server.StandardError.ReadToEndAsync());
        try
        {
            await WaitForHealthAsync(url, server, output);

            var result = await NodeTooling.RunAsync(NodeTooling.Node, ["analytics-node.mjs", url, WriteKey, "e2e"], NodeTooling.ClientFolder, ClientTimeout);

            Assert.True(result.Succeeded, $"node analytics-node.mjs failed (exit {result.ExitCode}):\n{result.Output}");
            var rows = await RowsAsync(bed);
            Assert.Equal(["alias", "group", "identify", "page", "screen", "track"], rows.Select(r => r.Type).Order());
            Assert.All(rows, r => Assert.Equal("web", r.Source));
            var track = rows.Single(r => r.Type == "track");
            Assert.Equal("Order Completed", track.Event);
            using var payload = JsonDocument.Parse(track.Payload);
            var root = payload.RootElement;
            Assert.Equal("@segment/analytics-node", root.GetProperty("context").GetProperty("library").GetProperty("name").GetString());
            Assert.StartsWith("node-next-", root.GetProperty("messageId").GetString(), StringComparison.Ordinal);
            Assert.True(root.TryGetProperty("originalTimestamp", out _));
            Assert.True(root.TryGetProperty("receivedAt", out _));
            Assert.False(root.TryGetProperty("writeKey", out _));
            Assert.Equal("Pricing", rows.Single(r => r.Type == "page").Event);
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
            await output;
        }
    }

    private static async Task<List<(string Source, string Type, string? Event, string Payload)>> RowsAsync(TestBed bed)
    {
        await using var command = bed.Db.CreateCommand("SELECT source, type, event, payload FROM sluice.ingest_queue ORDER BY xid, position");
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(string, string, string?, string)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), IngestApiHarness.PayloadText(reader.GetValue(3))));
        }

        return rows;
    }

    private static async Task WaitForHealthAsync(string url, Process server, Task<string[]> output)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (server.HasExited)
            {
                Assert.Fail("sluice run exited early:\n" + string.Concat(await output));
            }

            try
            {
                if ((await http.GetAsync(url + "/healthz")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) // not listening yet, or a probe that timed out on a loaded machine
            {
                // not listening yet
            }

            Assert.True(DateTime.UtcNow < deadline, "sluice run did not start listening within 60 s");
            await Task.Delay(100);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
