using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Sluice.Emulators.Segment;

namespace Sluice.Emulators.Tests.Segment;

public sealed class AdminApiTests
{
    private const string Body = """
        {"batch":[
          {"type":"identify","messageId":"m1","userId":"u1","traits":{"plan":"pro"}},
          {"type":"track","messageId":"m2","userId":"u1","event":"Signed Up"},
          {"type":"track","messageId":"m3","userId":"u2","event":"Signed Up"}
        ]}
        """;

    [Fact]
    public async Task Stats_are_served_as_camelCase_JSON()
    {
        await using var harness = await EmulatorHarness.StartAsync();
        (await harness.PostAsync("v1/batch", Body)).Dispose();

        var stats = JsonNode.Parse(await harness.Http.GetStringAsync(new Uri("__emulator/stats", UriKind.Relative)))!;

        Assert.Equal(3, stats["unique"]!.GetValue<long>());
        Assert.Equal(1, stats["requests"]!.GetValue<long>());
        Assert.Equal(2, stats["byType"]!["track"]!.GetValue<long>());
        Assert.Equal(2, stats["distinctUserIds"]!.GetValue<long>());
    }

    [Fact]
    public async Task Messages_are_listed_with_filters_and_paging()
    {
        await using var harness = await EmulatorHarness.StartAsync();
        (await harness.PostAsync("v1/batch", Body)).Dispose();

        var tracks = JsonNode.Parse(await harness.Http.GetStringAsync(new Uri("__emulator/messages?type=track", UriKind.Relative)))!.AsArray();
        var ofUser = JsonNode.Parse(await harness.Http.GetStringAsync(new Uri("__emulator/messages?userId=u2", UriKind.Relative)))!.AsArray();
        var page = JsonNode.Parse(await harness.Http.GetStringAsync(new Uri("__emulator/messages?offset=1&limit=1", UriKind.Relative)))!.AsArray();
        using var badType = await harness.Http.GetAsync(new Uri("__emulator/messages?type=tracks", UriKind.Relative));

        Assert.Equal(["m2", "m3"], tracks.Select(m => m!["messageId"]!.GetValue<string>()));
        Assert.Equal("Signed Up", tracks[0]!["event"]!["event"]!.GetValue<string>());
        Assert.Equal(1, tracks[0]!["timesReceived"]!.GetValue<int>());
        Assert.NotNull(tracks[0]!["event"]!["receivedAt"]);
        Assert.Equal("m3", Assert.Single(ofUser)!["messageId"]!.GetValue<string>());
        Assert.Equal("m2", Assert.Single(page)!["messageId"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, badType.StatusCode);
    }

    [Fact]
    public async Task Delete_messages_resets_the_emulator()
    {
        await using var harness = await EmulatorHarness.StartAsync();
        (await harness.PostAsync("v1/batch", Body)).Dispose();

        using var response = await harness.Http.DeleteAsync(new Uri("__emulator/messages", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, harness.Emulator.Stats.Unique);
        Assert.Empty(harness.Emulator.Messages());
    }

    [Fact]
    public async Task Put_faults_switches_fault_injection_at_run_time()
    {
        await using var harness = await EmulatorHarness.StartAsync();

        using var put = await harness.Http.PutAsync(
            new Uri("__emulator/faults", UriKind.Relative),
            new StringContent("""{"rateLimitRate":1,"retryAfterSeconds":2}"""));
        using var limited = await harness.PostAsync("v1/batch", Body);
        using var typo = await harness.Http.PutAsync(new Uri("__emulator/faults", UriKind.Relative), new StringContent("""{"rateLimitRatio":1}"""));
        using var outOfRange = await harness.Http.PutAsync(new Uri("__emulator/faults", UriKind.Relative), new StringContent("""{"slowRate":2}"""));
        using var off = await harness.Http.PutAsync(new Uri("__emulator/faults", UriKind.Relative), new StringContent("{}"));
        using var accepted = await harness.PostAsync("v1/batch", Body);
        var current = await harness.Http.GetFromJsonAsync<JsonObject>(new Uri("__emulator/faults", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("2", limited.Headers.GetValues("Retry-After").Single());
        await EmulatorHarness.AssertRejectedAsync(typo, "rateLimitRatio");
        await EmulatorHarness.AssertRejectedAsync(outOfRange, "SlowRate");
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal(0, current!["rateLimitRate"]!.GetValue<double>());
    }

    [Fact]
    public async Task The_root_page_explains_the_endpoints()
    {
        await using var harness = await EmulatorHarness.StartAsync();

        var text = await harness.Http.GetStringAsync(new Uri("/", UriKind.Relative));

        Assert.Contains("/v1/batch", text, StringComparison.Ordinal);
        Assert.Contains("/__emulator/messages", text, StringComparison.Ordinal);
    }
}
