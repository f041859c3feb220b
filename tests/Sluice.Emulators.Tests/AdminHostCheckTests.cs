using System.Net;
using System.Text;
using Sluice.Emulators.Salesforce;
using Sluice.Emulators.Segment;

namespace Sluice.Emulators.Tests;

/// <summary>
/// The emulators' admin APIs (<c>/__emulator/…</c>) answer only to loopback names, the bound address and
/// <c>AllowedHosts</c>: a web page using DNS rebinding cannot read what was sent. The emulated APIs answer any host.
/// </summary>
public sealed class AdminHostCheckTests
{
    [Fact]
    public async Task The_segment_emulators_admin_api_refuses_a_rebound_host_name_and_its_tracking_api_does_not()
    {
        await using var emulator = await SegmentEmulator.StartAsync(new SegmentEmulatorOptions { Port = 0, AllowedHosts = ["segment-emulator.internal"] });
        using var http = new HttpClient { BaseAddress = emulator.BaseUrl, Timeout = TimeSpan.FromSeconds(30) };
        var port = emulator.BaseUrl.Port;

        using var track = new HttpRequestMessage(HttpMethod.Post, "v1/batch")
        {
            Content = new StringContent("""{"batch":[{"type":"track","userId":"u1","event":"E","messageId":"m1"}]}""", Encoding.UTF8, "application/json"),
        };
        track.Headers.Host = $"rebind.attacker.test:{port}";
        track.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("key:")));
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(track)).StatusCode);

        foreach (var path in new[] { "__emulator/messages", "__emulator/stats", "" })
        {
            using var rebound = await http.SendAsync(Get(path, $"rebind.attacker.test:{port}"));
            Assert.Equal(HttpStatusCode.MisdirectedRequest, rebound.StatusCode);
            var body = await rebound.Content.ReadAsStringAsync();
            Assert.DoesNotContain("m1", body, StringComparison.Ordinal);
            Assert.Contains("--allowed-host", body, StringComparison.Ordinal);
        }

        foreach (var host in new[] { $"127.0.0.1:{port}", $"localhost:{port}", "segment-emulator.internal" })
        {
            Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(Get("__emulator/messages", host))).StatusCode);
        }
    }

    [Fact]
    public async Task The_salesforce_emulators_admin_api_refuses_a_rebound_host_name()
    {
        await using var emulator = await SalesforceEmulator.StartAsync(new SalesforceEmulatorOptions { Port = 0 });
        using var http = new HttpClient { BaseAddress = emulator.BaseUrl, Timeout = TimeSpan.FromSeconds(30) };
        var port = emulator.BaseUrl.Port;

        using var rebound = await http.SendAsync(Get("__emulator/requests", $"rebind.attacker.test:{port}"));
        Assert.Equal(HttpStatusCode.MisdirectedRequest, rebound.StatusCode);
        Assert.Equal(HttpStatusCode.MisdirectedRequest, (await http.SendAsync(Get("__emulator/records/Contact", "rebind.attacker.test"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(Get("__emulator/requests", $"127.0.0.1:{port}"))).StatusCode);
    }

    private static HttpRequestMessage Get(string path, string host)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Host = host;
        return request;
    }
}
