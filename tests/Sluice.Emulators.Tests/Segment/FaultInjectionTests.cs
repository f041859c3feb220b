using System.Diagnostics;
using System.Net;
using Sluice.Core.Errors;
using Sluice.Emulators.Segment;

namespace Sluice.Emulators.Tests.Segment;

public sealed class FaultInjectionTests
{
    private const string Body = """{"batch":[{"type":"identify","messageId":"m1","userId":"u1"}]}""";

    [Fact]
    public async Task An_injected_429_carries_Retry_After_and_X_RateLimit_Reset_and_records_nothing()
    {
        await using var harness = await EmulatorHarness.StartAsync(new SegmentFaultOptions { RateLimitRate = 1, RetryAfterSeconds = 7 });

        using var response = await harness.PostAsync("v1/batch", Body);

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), response.Headers.RetryAfter!.Delta);
        Assert.Equal("7", response.Headers.GetValues("X-RateLimit-Reset").Single());
        Assert.Empty(harness.Emulator.Messages());
        var stats = harness.Emulator.Stats;
        Assert.Equal((1, 1, 0L), (stats.RateLimited, stats.Faults, stats.Events));
    }

    [Fact]
    public async Task An_injected_server_error_is_a_500_or_503()
    {
        await using var harness = await EmulatorHarness.StartAsync(new SegmentFaultOptions { ServerErrorRate = 1, Seed = 3 });

        var codes = new HashSet<HttpStatusCode>();
        for (var i = 0; i < 20; i++)
        {
            using var response = await harness.PostAsync("v1/batch", Body);
            codes.Add(response.StatusCode);
        }

        Assert.Equal([HttpStatusCode.InternalServerError, HttpStatusCode.ServiceUnavailable], codes.Order());
        Assert.Equal(20, harness.Emulator.Stats.ServerErrors);
        Assert.Equal(0, harness.Emulator.Stats.Events);
    }

    [Fact]
    public async Task A_dropped_connection_makes_HttpClient_throw()
    {
        await using var harness = await EmulatorHarness.StartAsync(new SegmentFaultOptions { DropConnectionRate = 1 });

        await Assert.ThrowsAsync<HttpRequestException>(() => harness.PostAsync("v1/batch", Body));

        Assert.Equal(1, harness.Emulator.Stats.ConnectionsAborted);
        Assert.Empty(harness.Emulator.Messages());
    }

    [Fact]
    public async Task A_slowed_request_is_answered_late_and_still_recorded()
    {
        await using var harness = await EmulatorHarness.StartAsync(new SegmentFaultOptions { SlowRate = 1, SlowDelay = TimeSpan.FromMilliseconds(300) });

        var clock = Stopwatch.StartNew();
        using var response = await harness.PostAsync("v1/batch", Body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(250), $"answered after {clock.Elapsed}");
        Assert.Equal(1, harness.Emulator.Stats.SlowResponses);
        Assert.Single(harness.Emulator.Messages());
    }

    [Fact]
    public async Task A_client_that_retries_failed_requests_gets_every_event_recorded_exactly_once()
    {
        await using var harness = await EmulatorHarness.StartAsync();
        harness.Emulator.SetFaults(new SegmentFaultOptions { RateLimitRate = 0.3, ServerErrorRate = 0.3, RetryAfterSeconds = 0, Seed = 42 });

        var attempts = 0;
        for (var batch = 0; batch < 20; batch++)
        {
            var events = Enumerable.Range(0, 10).Select(i => (object)new { type = "identify", messageId = $"b{batch}-{i}", userId = $"u{i}" }).ToArray();
            var body = EmulatorHarness.Batch(events);
            HttpStatusCode status;
            do
            {
                attempts++;
                using var response = await harness.PostAsync("v1/batch", body);
                status = response.StatusCode;
            }
            while (status != HttpStatusCode.OK);
        }

        var stats = harness.Emulator.Stats;
        Assert.True(attempts > 20, "the seed should fail some requests");
        Assert.Equal(200, stats.Unique);
        Assert.Equal(0, stats.Duplicates);
        Assert.Equal(attempts, stats.Requests);
        Assert.Equal(attempts - 20, stats.Faults);
    }

    [Fact]
    public async Task Invalid_fault_rates_are_refused_with_the_flag_name()
    {
        await using var harness = await EmulatorHarness.StartAsync();

        var error = Assert.Throws<SluiceException>(() => harness.Emulator.SetFaults(new SegmentFaultOptions { RateLimitRate = 1.5 }));

        Assert.Equal(ErrorClass.Config, error.Class);
        Assert.Contains("--rate-limit-rate", error.Message, StringComparison.Ordinal);
    }
}
