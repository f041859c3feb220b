using Polly;
using Sluice.Core.Engine;
using Sluice.Core.Errors;
using Sluice.Testing;

namespace Sluice.Core.Tests.Engine;

public sealed class RetryPipelineTests
{
    private static readonly TimeSpan Tick = TimeSpan.FromTicks(1);
    private static readonly TimeSpan Millisecond = TimeSpan.FromMilliseconds(1);
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(5);

    private readonly TimerAwareFakeTimeProvider _time = new();
    private readonly DeliveryGate _gate;
    private readonly List<(string Reason, TimeSpan Delay, int Attempt)> _retries = [];
    private int _attempts;

    public RetryPipelineTests()
    {
        _gate = new DeliveryGate(new RateLimitOptions(), _time);
    }

    private int Attempts => Volatile.Read(ref _attempts);

    [Fact]
    public async Task A_transient_failure_is_retried_only_once_the_clock_passes_the_backoff()
    {
        // A base of 10 s keeps the jittered first delay well above a millisecond.
        var run = Execute(Options(baseDelay: TimeSpan.FromSeconds(10)), Fail(SluiceException.Transient("connection reset")));

        await _time.WaitForTimersAsync(1);
        var delay = Assert.Single(Retries()).Delay;
        Assert.InRange(delay, Millisecond, TimeSpan.FromSeconds(60));
        Assert.Equal(1, Attempts);

        // Task.Delay keeps whole milliseconds, so a millisecond short of the delay is surely too early.
        _time.Advance(delay - Millisecond);
        Assert.Equal(1, Attempts);
        Assert.False(run.IsCompleted);

        _time.Advance(Millisecond);
        await run.WaitAsync(Settle);
        Assert.Equal(2, Attempts);
    }

    [Fact]
    public async Task The_retry_callback_hears_the_reason_and_the_attempt_number()
    {
        var run = Execute(Options(), Fail(SluiceException.Transient("503 Service Unavailable"), SluiceException.Transient("502 Bad Gateway")));

        await DriveAsync(run);

        Assert.Equal(["503 Service Unavailable", "502 Bad Gateway"], Retries().Select(r => r.Reason));
        Assert.Equal([1, 2], Retries().Select(r => r.Attempt));
    }

    [Fact]
    public async Task Backoff_grows_exponentially_from_the_base_delay()
    {
        // Polly's decorrelated jitter: whatever the random draws, the first n delays add up to between
        // 2^(n-1) and 2^n base delays (scaled by 1/1.4), so the total doubles with each retry.
        var options = Options(maxAttempts: 11, baseDelay: TimeSpan.FromSeconds(1), maxDelay: TimeSpan.FromDays(1));
        var run = Execute(options, AlwaysFail(() => SluiceException.Transient("timeout")));

        await Assert.ThrowsAsync<SluiceException>(() => DriveAsync(run));

        var delays = Retries().Select(r => r.Delay).ToList();
        Assert.Equal(10, delays.Count);
        Assert.All(delays, d => Assert.True(d > TimeSpan.Zero, $"delay {d}"));
        var firstFive = delays.Take(5).Aggregate(TimeSpan.Zero, (a, b) => a + b);
        var allTen = delays.Aggregate(TimeSpan.Zero, (a, b) => a + b);
        Assert.InRange(firstFive, TimeSpan.FromSeconds(16 * 0.99 / 1.4), TimeSpan.FromSeconds(32 / 1.4));
        Assert.InRange(allTen, TimeSpan.FromSeconds(512 * 0.99 / 1.4), TimeSpan.FromSeconds(1024 / 1.4));
    }

    [Fact]
    public async Task No_backoff_is_longer_than_the_max_delay()
    {
        var options = Options(maxAttempts: 12, baseDelay: TimeSpan.FromSeconds(1), maxDelay: TimeSpan.FromSeconds(4));
        var run = Execute(options, AlwaysFail(() => SluiceException.Transient("timeout")));

        await Assert.ThrowsAsync<SluiceException>(() => DriveAsync(run));

        var delays = Retries().Select(r => r.Delay).ToList();
        Assert.Equal(11, delays.Count);
        Assert.All(delays, d => Assert.InRange(d, Tick, TimeSpan.FromSeconds(4)));
        // By the 8th retry the uncapped backoff is in the minutes: the cap is what holds it.
        Assert.Contains(TimeSpan.FromSeconds(4), delays);
    }

    [Fact]
    public async Task A_retry_after_is_waited_exactly_and_pauses_the_gate_until_then()
    {
        var start = _time.GetUtcNow();
        var run = Execute(Options(), Fail(SluiceException.Transient("rate limited (429)", retryAfter: TimeSpan.FromSeconds(5))));

        await _time.WaitForTimersAsync(1);
        Assert.Equal(TimeSpan.FromSeconds(5), Assert.Single(Retries()).Delay);
        Assert.Equal(start + TimeSpan.FromSeconds(5), _gate.PausedUntil);

        _time.Advance(TimeSpan.FromSeconds(5) - Tick);
        Assert.Equal(1, Attempts);

        _time.Advance(Tick);
        await run.WaitAsync(Settle);
        Assert.Equal(2, Attempts);
    }

    [Theory]
    [InlineData(0, 1_000)]          // "Retry-After: 0" would hammer a server that just said no
    [InlineData(200, 1_000)]
    [InlineData(1_000, 1_000)]
    [InlineData(42_000, 42_000)]
    [InlineData(300_000, 300_000)]
    [InlineData(3_600_000, 300_000)]
    public async Task A_retry_after_is_held_between_one_second_and_the_max_retry_after(int retryAfterMs, int expectedMs)
    {
        var run = Execute(Options(), Fail(SluiceException.Transient("429", retryAfter: TimeSpan.FromMilliseconds(retryAfterMs))));

        await DriveAsync(run);

        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), Assert.Single(Retries()).Delay);
    }

    [Fact]
    public async Task A_retry_after_longer_than_the_max_backoff_is_still_honoured()
    {
        var options = Options(maxDelay: TimeSpan.FromSeconds(60));
        var run = Execute(options, Fail(SluiceException.Transient("429", retryAfter: TimeSpan.FromSeconds(120))));

        await _time.WaitForTimersAsync(1);
        _time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(1, Attempts);

        _time.Advance(TimeSpan.FromSeconds(60));
        await run.WaitAsync(Settle);
        Assert.Equal(TimeSpan.FromSeconds(120), Assert.Single(Retries()).Delay);
    }

    [Fact]
    public async Task Retry_after_waits_do_not_count_toward_max_attempts()
    {
        // Two counted attempts allowed; five 429s and one other transient failure still end in success.
        var failures = Enumerable.Range(0, 5)
            .Select(_ => SluiceException.Transient("429", retryAfter: TimeSpan.FromSeconds(2)))
            .Append(SluiceException.Transient("connection reset"))
            .ToArray();
        var run = Execute(Options(maxAttempts: 2), Fail(failures));

        await DriveAsync(run);

        Assert.Equal(7, Attempts);
    }

    [Fact]
    public async Task Rate_limit_waits_are_free_only_up_to_an_hour_per_batch()
    {
        // 1,000 s three times is 3,000 s of waiting; the fourth 429 would make it 4,000 s, so it counts, and with
        // one counted attempt allowed the pipeline gives up there.
        var options = new RetryOptions { MaxAttempts = 1, MaxRetryAfter = TimeSpan.FromSeconds(1000) };
        var run = Execute(options, AlwaysFail(() => SluiceException.Transient("429", retryAfter: TimeSpan.FromSeconds(1000))));

        await Assert.ThrowsAsync<SluiceException>(() => DriveAsync(run));

        Assert.Equal(4, Attempts);
        Assert.Equal(3, Retries().Count);
    }

    [Fact]
    public async Task A_server_that_always_answers_retry_after_zero_is_eventually_given_up_on()
    {
        // An hour of 1 s waits is 3,600 attempts; stop the experiment well after that.
        const int Enough = 10_000;
        var options = Options(maxAttempts: 2);
        var run = Execute(options, attempt => attempt < Enough
            ? SluiceException.Transient("429", retryAfter: TimeSpan.Zero)
            : SluiceException.Fatal("still retrying after 10,000 attempts"));

        var error = await Assert.ThrowsAsync<SluiceException>(() => DriveAsync(run));

        Assert.Equal("429", error.Message);
        Assert.InRange(Attempts, 3_600, 3_603);
    }

    [Fact]
    public async Task Backoff_after_rate_limit_waits_starts_from_the_base_delay()
    {
        // The 429s are not counted, so the first counted failure gets the first backoff (≤ 2 base delays, see above),
        // not the sixth (about 2^5 base delays).
        var failures = Enumerable.Range(0, 5)
            .Select(_ => SluiceException.Transient("429", retryAfter: TimeSpan.FromSeconds(1)))
            .Append(SluiceException.Transient("connection reset"))
            .ToArray();
        var run = Execute(Options(baseDelay: TimeSpan.FromSeconds(1), maxDelay: TimeSpan.FromDays(1)), Fail(failures));

        await DriveAsync(run);

        Assert.InRange(Retries()[^1].Delay, Tick, TimeSpan.FromSeconds(2 / 1.4));
    }

    [Fact]
    public async Task After_max_attempts_counted_failures_the_last_error_propagates()
    {
        var run = Execute(Options(maxAttempts: 3), AlwaysFail(() => SluiceException.Transient($"timeout {Attempts}")));

        var error = await Assert.ThrowsAsync<SluiceException>(() => DriveAsync(run));

        Assert.Equal("timeout 3", error.Message);
        Assert.Equal(3, Attempts);
        Assert.Equal(2, Retries().Count);
    }

    [Fact]
    public async Task A_single_attempt_means_no_retry()
    {
        var run = Execute(Options(maxAttempts: 1), AlwaysFail(() => SluiceException.Transient("timeout")));

        await Assert.ThrowsAsync<SluiceException>(() => run.WaitAsync(Settle));

        Assert.Equal(1, Attempts);
        Assert.Empty(Retries());
    }

    public static TheoryData<string> NonRetryable => ["fatal", "rejected", "config", "bug"];

    [Theory]
    [MemberData(nameof(NonRetryable))]
    public async Task A_non_retryable_error_is_not_retried(string kind)
    {
        Exception error = kind switch
        {
            "fatal" => SluiceException.Fatal("the write key was refused (401)"),
            "rejected" => new SluiceException(ErrorClass.RecordRejected, "bad record"),
            "config" => SluiceException.Config("bad config"),
            _ => new InvalidOperationException("a bug"),
        };
        var run = Execute(Options(), AlwaysFail(() => error));

        var thrown = await Assert.ThrowsAnyAsync<Exception>(() => run.WaitAsync(Settle));

        Assert.Same(error, thrown);
        Assert.Equal(1, Attempts);
        Assert.Empty(Retries());
        Assert.Equal(0, _time.ActiveTimers);
    }

    [Fact]
    public async Task Cancelling_during_a_backoff_stops_the_retries()
    {
        using var cts = new CancellationTokenSource();
        var run = Execute(Options(), AlwaysFail(() => SluiceException.Transient("timeout")), cts.Token);
        await _time.WaitForTimersAsync(1);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(Settle));
        Assert.Equal(1, Attempts);
    }

    private static RetryOptions Options(int maxAttempts = 8, TimeSpan? baseDelay = null, TimeSpan? maxDelay = null) => new()
    {
        MaxAttempts = maxAttempts,
        BaseDelay = baseDelay ?? TimeSpan.FromMilliseconds(500),
        MaxDelay = maxDelay ?? TimeSpan.FromSeconds(60),
        MaxRetryAfter = TimeSpan.FromSeconds(300),
    };

    /// <summary>An operation that throws <paramref name="failures"/> in turn, then succeeds.</summary>
    private static Func<int, Exception?> Fail(params Exception[] failures) => attempt => attempt <= failures.Length ? failures[attempt - 1] : null;

    private static Func<int, Exception?> AlwaysFail(Func<Exception> failure) => _ => failure();

    private Task Execute(RetryOptions options, Func<int, Exception?> outcome, CancellationToken ct = default)
    {
        var pipeline = RetryPipeline.Create(options, _time, _gate, (reason, delay, attempt) =>
        {
            lock (_retries)
            {
                _retries.Add((reason, delay, attempt));
            }
        });
        return Task.Run(async () =>
        {
            var context = RetryPipeline.NewContext(ct);
            try
            {
                await pipeline.ExecuteAsync(
                    (_, _) =>
                    {
                        var attempt = Interlocked.Increment(ref _attempts);
                        return outcome(attempt) is { } error ? ValueTask.FromException(error) : ValueTask.CompletedTask;
                    },
                    context,
                    0);
            }
            finally
            {
                ResilienceContextPool.Shared.Return(context);
            }
        }, CancellationToken.None);
    }

    private List<(string Reason, TimeSpan Delay, int Attempt)> Retries()
    {
        lock (_retries)
        {
            return [.. _retries];
        }
    }

    private Task DriveAsync(Task run) => _time.AdvanceUntilCompletedAsync(run);
}
