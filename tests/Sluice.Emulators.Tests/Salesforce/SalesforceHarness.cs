using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Sluice.Emulators.Salesforce;
using Sluice.Emulators.Salesforce.Org;

namespace Sluice.Emulators.Tests.Salesforce;

/// <summary>A Salesforce emulator on a free port and an HttpClient holding a token for the org's first user.</summary>
internal sealed class SalesforceHarness : IAsyncDisposable
{
    public const string Api = "/services/data/v62.0";

    private SalesforceHarness(SalesforceEmulator emulator)
    {
        Emulator = emulator;
        Http = new HttpClient { BaseAddress = emulator.BaseUrl, Timeout = TimeSpan.FromSeconds(20) };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", emulator.IssueToken());
    }

    public SalesforceEmulator Emulator { get; }

    public HttpClient Http { get; }

    public static async Task<SalesforceHarness> StartAsync(OrgDefinition? org = null, TimeProvider? time = null, TimeSpan? tokenTtl = null, SalesforceFaultOptions? faults = null, bool rotateRefreshTokens = false) =>
        new(await SalesforceEmulator.StartAsync(new SalesforceEmulatorOptions
        {
            RotateRefreshTokens = rotateRefreshTokens,
            Port = 0,
            Org = org ?? OrgFiles.WithSubscriptions(),
            TimeProvider = time ?? TimeProvider.System,
            TokenTtl = tokenTtl ?? TimeSpan.FromHours(2),
            Faults = faults ?? new SalesforceFaultOptions(),
        }));

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? json = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            var text = json as string ?? (json is JsonNode node ? node.ToJsonString() : System.Text.Json.JsonSerializer.Serialize(json));
            request.Content = new StringContent(text, Encoding.UTF8, "application/json");
        }

        return Http.SendAsync(request);
    }

    public async Task<JsonNode> JsonAsync(HttpMethod method, string path, object? json = null, int expectedStatus = 200)
    {
        using var response = await SendAsync(method, path, json);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == expectedStatus, $"{method} {path}: expected {expectedStatus}, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    /// <summary>Asserts Salesforce's top-level error shape: <c>[{"message","errorCode"}]</c>.</summary>
    public static async Task<JsonObject> AssertErrorAsync(HttpResponseMessage response, int status, string errorCode)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status} {errorCode}, got {(int)response.StatusCode}: {text}");
        var error = Assert.Single(JsonNode.Parse(text)!.AsArray())!.AsObject();
        Assert.Equal(errorCode, error["errorCode"]!.GetValue<string>());
        return error;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Emulator.DisposeAsync();
    }
}
