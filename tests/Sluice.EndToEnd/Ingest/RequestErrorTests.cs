using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Sluice.EndToEnd.Ingest;

/// <summary>
/// The real <c>sluice run</c>: bad input is a 4xx with a JSON reason, and a request that fails for a reason of Sluice's
/// own is answered 500 with a JSON body and one line in the log that names the route and the error.
/// </summary>
public sealed class RequestErrorTests
{
    private const string WriteKey = "errors-web-write-key";

    [Fact]
    public async Task Bad_text_is_refused_with_400_and_a_failing_request_is_answered_500_and_logged_with_its_route()
    {
        await using var bed = await TestBed.CreateAsync(nameof(RequestErrorTests), "SELECT 1", e => e.IngestToEventsTable(WriteKey));
        var url = $"http://127.0.0.1:{FreePort()}";
        var output = new ConcurrentQueue<string>();
        var adminUrl = $"http://127.0.0.1:{FreePort()}";
        using var server = bed.StartSluice("run", "-c", bed.ConfigPath, "--listen", url, "--admin-listen", adminUrl);
        server.OutputDataReceived += (_, e) => output.Enqueue(e.Data ?? "");
        server.ErrorDataReceived += (_, e) => output.Enqueue(e.Data ?? "");
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(10) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(WriteKey + ":")));
            await Until(async () => await ReachableAsync(http), server, "sluice run listening");

            using var lone = await http.PostAsync(new Uri("/v1/batch", UriKind.Relative), Json("""{"batch":[{"type":"track","userId":"u1","event":"\udc00"}]}"""));
            Assert.Equal(HttpStatusCode.BadRequest, lone.StatusCode);
            Assert.Contains("batch[0].event: ", Message(await lone.Content.ReadAsStringAsync()), StringComparison.Ordinal);

            // A fault of Sluice's own: the state schema is gone under the running server.
            await bed.ExecuteAsync("ALTER SCHEMA sluice RENAME TO sluice_gone");
            using var admin = new HttpClient { BaseAddress = new Uri(adminUrl), Timeout = TimeSpan.FromSeconds(10) };
            using var failed = await admin.GetAsync(new Uri("/api/syncs", UriKind.Relative));

            Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
            Assert.Equal("application/json", failed.Content.Headers.ContentType?.MediaType);
            Assert.Contains("sluice run log", Message(await failed.Content.ReadAsStringAsync()), StringComparison.Ordinal);
            await Until(() => Task.FromResult(output.Any(l => l.Contains("GET /api/syncs", StringComparison.Ordinal))), server, "the failed request in the log");
            var line = output.First(l => l.Contains("GET /api/syncs", StringComparison.Ordinal));
            Assert.Contains("does not exist", line, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", line, StringComparison.Ordinal);
            Assert.DoesNotContain(output, l => l.Contains(WriteKey, StringComparison.Ordinal));
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static string Message(string body) => JsonDocument.Parse(body).RootElement.GetProperty("message").GetString()!;

    private static async Task<bool> ReachableAsync(HttpClient http)
    {
        try
        {
            return (await http.GetAsync(new Uri("/healthz", UriKind.Relative))).IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private static async Task Until(Func<Task<bool>> condition, Process server, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.False(server.HasExited, "sluice run exited early");
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
