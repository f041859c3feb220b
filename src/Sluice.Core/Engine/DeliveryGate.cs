using System.Threading.RateLimiting;

namespace Sluice.Core.Engine;

/// <summary>
/// Every send to one destination passes here: it waits out a server-requested pause and takes
/// permits from the destination's request and event budgets. One gate is shared by all syncs using
/// the destination, so a 429 slows them all, not just the request that got it.
/// </summary>
public sealed class DeliveryGate : IAsyncDisposable
{
    private readonly TimeProvider _time;
    private readonly TokenBucketRateLimiter? _requests;
    private readonly TokenBucketRateLimiter? _events;
    private readonly int _maxEventPermits;
    private long _pausedUntilTicks;

    public DeliveryGate(RateLimitOptions options, TimeProvider time)
    {
        _time = time;
        _requests = Bucket(options.RequestsPerSecond);
        _events = Bucket(options.EventsPerSecond);
        _maxEventPermits = options.EventsPerSecond is { } eps ? Math.Max(1, (int)Math.Ceiling(eps)) : int.MaxValue;
    }

    /// <summary>When the destination asked us to pause until; <see cref="DateTimeOffset.MinValue"/> if it did not.</summary>
    public DateTimeOffset PausedUntil => new(Interlocked.Read(ref _pausedUntilTicks), TimeSpan.Zero);

    /// <summary>Holds every sender until <paramref name="until"/> (a later pause wins over an earlier one).</summary>
    public void PauseUntil(DateTimeOffset until)
    {
        var ticks = until.UtcTicks;
        long current;
        do
        {
            current = Interlocked.Read(ref _pausedUntilTicks);
            if (ticks <= current)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref _pausedUntilTicks, ticks, current) != current);
    }

    /// <summary>Waits until one request carrying <paramref name="events"/> events may be sent.</summary>
    public async ValueTask WaitAsync(int events, CancellationToken ct)
    {
        while (true)
        {
            var wait = PausedUntil - _time.GetUtcNow();
            if (wait <= TimeSpan.Zero)
            {
                break;
            }

            await Task.Delay(wait, _time, ct);
        }

        if (_requests is not null)
        {
            using var lease = await _requests.AcquireAsync(1, ct);
        }

        if (_events is not null)
        {
            // A batch larger than a second's budget takes a whole second's worth; the bucket then refills before the next.
            using var lease = await _events.AcquireAsync(Math.Min(events, _maxEventPermits), ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_requests is not null)
        {
            await _requests.DisposeAsync();
        }

        if (_events is not null)
        {
            await _events.DisposeAsync();
        }
    }

    private static TokenBucketRateLimiter? Bucket(double? perSecond)
    {
        if (perSecond is not { } rate || rate <= 0)
        {
            return null;
        }

        // Refill ten times a second so that the budget is smooth, not a burst each second.
        var perTick = Math.Max(1, (int)Math.Round(rate / 10));
        return new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(1, (int)Math.Ceiling(rate)),
            TokensPerPeriod = perTick,
            ReplenishmentPeriod = TimeSpan.FromSeconds(perTick / rate),
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });
    }
}
