namespace Sluice.Emulators.Segment;

/// <summary>
/// Failures the emulator injects, each drawn independently per tracking request before the body is read.
/// A request that fails (429, 5xx, aborted connection) records none of its events; a slowed request is
/// processed normally after the delay. All rates are probabilities from 0 to 1; the defaults inject nothing.
/// </summary>
public sealed class SegmentFaultOptions
{
    /// <summary>Share of requests answered <c>429</c> with <c>Retry-After</c> and <c>X-RateLimit-Reset</c>. Default 0.</summary>
    public double RateLimitRate { get; init; }

    /// <summary>Seconds put in <c>Retry-After</c> and <c>X-RateLimit-Reset</c> of an injected 429. Default 1.</summary>
    public int RetryAfterSeconds { get; init; } = 1;

    /// <summary>Share of requests answered <c>500</c> or <c>503</c> (chosen at random). Default 0.</summary>
    public double ServerErrorRate { get; init; }

    /// <summary>Share of requests whose connection is aborted without any response. Default 0.</summary>
    public double DropConnectionRate { get; init; }

    /// <summary>Share of requests delayed by <see cref="SlowDelay"/> before they are processed. Default 0.</summary>
    public double SlowRate { get; init; }

    /// <summary>Delay of a slowed request. Default 2 seconds.</summary>
    public TimeSpan SlowDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Seed for the fault draws, for a repeatable sequence. Default <c>null</c>: a random seed.</summary>
    public int? Seed { get; init; }
}
