using Polly;
using Polly.Retry;
using Sluice.Core.Errors;

namespace Sluice.Core.Engine;

/// <summary>
/// The retry policy of a batch, after Segment's own clients. Two Polly retry strategies, nested:
/// <list type="bullet">
/// <item>inside, a server's <c>Retry-After</c> (a 429) is waited out — between 1 s and
/// <see cref="RetryOptions.MaxRetryAfter"/> — and pauses the whole destination; these waits are not
/// counted as failures (analytics-node does the same), up to an hour of waiting per batch;</item>
/// <item>outside, every other transient failure (and rate limiting past that hour) is retried with
/// exponential backoff and jitter, at most <see cref="RetryOptions.MaxAttempts"/> attempts in all.</item>
/// </list>
/// Nesting keeps the backoff's attempt count and jitter to counted failures only, so the first real
/// failure after a run of 429s backs off from the base delay, not from where the 429s left it.
/// </summary>
internal static class RetryPipeline
{
    /// <summary>Rate-limit waiting a batch may do before further 429s count as failures.</summary>
    public static readonly TimeSpan RateLimitBudget = TimeSpan.FromHours(1);

    private static readonly ResiliencePropertyKey<RateLimitWaits> Waited = new("sluice.rate-limit-waits");

    /// <param name="options">The sync's retry settings.</param>
    /// <param name="time">The clock every wait uses.</param>
    /// <param name="gate">The destination's gate, paused on every <c>Retry-After</c>.</param>
    /// <param name="onRetry">Hears each retry: the reason, the wait, and the attempt number.</param>
    /// <param name="random">Jitter source in [0, 1); default <see cref="Random.Shared"/>.</param>
    public static ResiliencePipeline Create(RetryOptions options, TimeProvider time, DeliveryGate gate, Action<string, TimeSpan, int> onRetry, Func<double>? random = null)
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = time };
        if (options.MaxAttempts > 1)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.BaseDelay,
                MaxDelay = options.MaxDelay,
                Randomizer = random ?? Random.Shared.NextDouble,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is SluiceException { IsRetryable: true }),
                // A 429 that reaches this strategy has used up the batch's rate-limit budget; its Retry-After still holds.
                DelayGenerator = args => ValueTask.FromResult(
                    args.Outcome.Exception is SluiceException { RetryAfter: { } after } ? (TimeSpan?)Clamp(after, options.MaxRetryAfter) : null),
                OnRetry = args => Report(args.Outcome.Exception, args.RetryDelay, args.AttemptNumber + 1),
            });
        }

        builder.AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = int.MaxValue,
            ShouldHandle = args =>
            {
                if (args.Outcome.Exception is not SluiceException { IsRetryable: true, RetryAfter: { } after })
                {
                    return ValueTask.FromResult(false);
                }

                // Budget the wait actually taken: "Retry-After: 0" is waited as 1 s, and must cost that.
                var waited = args.Context.Properties.GetValue(Waited, new RateLimitWaits());
                args.Context.Properties.Set(Waited, waited);
                var wait = Clamp(after, options.MaxRetryAfter);
                if (waited.Total + wait > RateLimitBudget)
                {
                    return ValueTask.FromResult(false);
                }

                waited.Total += wait;
                return ValueTask.FromResult(true);
            },
            DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(Clamp(((SluiceException)args.Outcome.Exception!).RetryAfter!.Value, options.MaxRetryAfter)),
            OnRetry = args =>
            {
                gate.PauseUntil(time.GetUtcNow() + args.RetryDelay);
                return Report(args.Outcome.Exception, args.RetryDelay, args.AttemptNumber + 1);
            },
        });
        return builder.Build();

        ValueTask Report(Exception? error, TimeSpan delay, int attempt)
        {
            onRetry(error?.Message ?? "retrying", delay, attempt);
            return default;
        }
    }

    public static ResilienceContext NewContext(CancellationToken ct) => ResilienceContextPool.Shared.Get(ct);

    /// <summary>Segment's clients hold a Retry-After between 1 s and 300 s (analytics-next's maxRetryInterval).</summary>
    private static TimeSpan Clamp(TimeSpan value, TimeSpan max) =>
        value < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : value > max ? max : value;

    private sealed class RateLimitWaits
    {
        public TimeSpan Total { get; set; }
    }
}
