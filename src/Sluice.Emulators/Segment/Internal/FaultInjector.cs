namespace Sluice.Emulators.Segment.Internal;

/// <summary>
/// Draws the faults for each request from one seeded <see cref="Random"/>. Four numbers are drawn per request
/// whatever the outcome, so a seed replays the same sequence for the same order of requests.
/// </summary>
internal sealed class FaultInjector(SegmentFaultOptions options)
{
    private readonly Random _random = options.Seed is { } seed ? new Random(seed) : new Random();
    private readonly Lock _lock = new();
    private readonly bool _active = options.RateLimitRate > 0 || options.ServerErrorRate > 0
        || options.DropConnectionRate > 0 || options.SlowRate > 0;

    public SegmentFaultOptions Options { get; } = options;

    public FaultDecision Next()
    {
        if (!_active)
        {
            return FaultDecision.None;
        }

        double slow, drop, rateLimit, serverError;
        lock (_lock)
        {
            slow = _random.NextDouble();
            drop = _random.NextDouble();
            rateLimit = _random.NextDouble();
            serverError = _random.NextDouble();
        }

        var delay = slow < Options.SlowRate ? Options.SlowDelay : TimeSpan.Zero;
        if (drop < Options.DropConnectionRate)
        {
            return new FaultDecision(delay, FaultKind.DropConnection, 0);
        }

        if (rateLimit < Options.RateLimitRate)
        {
            return new FaultDecision(delay, FaultKind.RateLimit, 429);
        }

        if (serverError < Options.ServerErrorRate)
        {
            // Reuse the draw for the code: its lower half (relative to the rate) answers 500, the upper 503.
            return new FaultDecision(delay, FaultKind.ServerError, serverError < Options.ServerErrorRate / 2 ? 500 : 503);
        }

        return new FaultDecision(delay, FaultKind.None, 0);
    }
}
