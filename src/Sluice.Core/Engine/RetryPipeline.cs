using Polly;
using Polly.Retry;
using Sluice.Core.Errors;

namespace Sluice.Core.Engine;

/// <summary>
/// The retry policy of a batch, after Segment's own clients: exponential backoff with jitter for
/// transient failures, counted against <see cref="RetryOptions.MaxAttempts"/>; a server's
/// <c>Retry-After</c> pauses the whole destination and is not counted (analytics-node does the same),
/// up to a total time of rate-limit waiting per batch.
/// </summary>
internal static class RetryPipeline
{
    private static readonly ResiliencePropertyKey<AttemptCount> Counted = new("sluice.counted-attempts");

    public static ResiliencePipeline Create(RetryOptions options, TimeProvider time, DeliveryGate gate, Action<string, TimeSpan, int> onRetry)
    {
        var rateLimitedBudget = TimeSpan.FromHours(1);
        return new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.BaseDelay,
                MaxDelay = options.MaxDelay,
                ShouldHandle = args =>
                {
                    if (args.Outcome.Exception is not SluiceException { IsRetryable: true } error)
                    {
                        return ValueTask.FromResult(false);
                    }

                    var count = args.Context.Properties.GetValue(Counted, new AttemptCount());
                    args.Context.Properties.Set(Counted, count);
                    if (error.RetryAfter is { } after && count.RateLimited + after <= rateLimitedBudget)
                    {
                        count.RateLimited += after;
                        return ValueTask.FromResult(true);
                    }

                    return ValueTask.FromResult(++count.Failures < options.MaxAttempts);
                },
                DelayGenerator = args =>
                    ValueTask.FromResult<TimeSpan?>(args.Outcome.Exception is SluiceException { RetryAfter: { } after }
                        ? Clamp(after, options.MaxRetryAfter)
                        : null),
                OnRetry = args =>
                {
                    var error = args.Outcome.Exception as SluiceException;
                    if (error?.RetryAfter is not null)
                    {
                        gate.PauseUntil(time.GetUtcNow() + args.RetryDelay);
                    }

                    onRetry(error?.Message ?? "retrying", args.RetryDelay, args.AttemptNumber + 1);
                    return default;
                },
            })
            .Build();
    }

    public static ResilienceContext NewContext(CancellationToken ct) => ResilienceContextPool.Shared.Get(ct);

    private static TimeSpan Clamp(TimeSpan value, TimeSpan max) =>
        value < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : value > max ? max : value;

    private sealed class AttemptCount
    {
        public int Failures { get; set; }

        public TimeSpan RateLimited { get; set; }
    }
}
