using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Emulators.Segment;

namespace Sluice.Emulators.Tests.Segment;

/// <summary>A real emulator on a free port plus an HttpClient pointed at it.</summary>
internal sealed class EmulatorHarness : IAsyncDisposable
{
    public const string WriteKey = "test-write-key";

    private EmulatorHarness(SegmentEmulator emulator)
    {
        Emulator = emulator;
        Http = new HttpClient { BaseAddress = emulator.BaseUrl, Timeout = TimeSpan.FromSeconds(20) };
    }

    public SegmentEmulator Emulator { get; }

    public HttpClient Http { get; }

    public static async Task<EmulatorHarness> StartAsync(
        SegmentFaultOptions? faults = null,
        IReadOnlyCollection<string>? writeKeys = null,
        int retainMessages = 2_000_000,
        TimeProvider? time = null)
    {
        var emulator = await SegmentEmulator.StartAsync(new SegmentEmulatorOptions
        {
            Port = 0,
            Faults = faults ?? new SegmentFaultOptions(),
            WriteKeys = writeKeys,
            RetainMessages = retainMessages,
            TimeProvider = time ?? TimeProvider.System,
        });
        return new EmulatorHarness(emulator);
    }

    public static AuthenticationHeaderValue Basic(string writeKey) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(writeKey + ":")));

    /// <summary>POSTs <paramref name="json"/> with Basic auth (unless <paramref name="writeKey"/> is null).</summary>
    public Task<HttpResponseMessage> PostAsync(string path, string json, string? writeKey = WriteKey, string contentType = "application/json")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, contentType) };
        if (writeKey is not null)
        {
            request.Headers.Authorization = Basic(writeKey);
        }

        return Http.SendAsync(request);
    }

    public static async Task<JsonObject> ReadJsonAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();

    /// <summary>Asserts Segment's 400 shape: <c>{"success":false,"message":…}</c> containing <paramref name="message"/>.</summary>
    public static async Task AssertRejectedAsync(HttpResponseMessage response, string message)
    {
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        var body = await ReadJsonAsync(response);
        Assert.False(body["success"]!.GetValue<bool>());
        Assert.Contains(message, body["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    public static JsonObject Parse(ReceivedMessage message) => JsonNode.Parse(message.Json)!.AsObject();

    public static string Batch(params object[] events) =>
        JsonSerializer.Serialize(new { batch = events });

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Emulator.DisposeAsync();
    }
}
