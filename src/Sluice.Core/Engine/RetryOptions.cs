namespace Sluice.Core.Engine;

/// <summary>How a batch is retried after a transient failure (network, 429, 5xx).</summary>
public sealed class RetryOptions
{
    /// <summary>Attempts per batch including the first. Default 8; the run fails after the last one, its checkpoint intact.</summary>
    public int MaxAttempts { get; init; } = 8;

    /// <summary>First backoff; it doubles per attempt, with jitter. Default 500 ms (Segment's client libraries use 500 ms).</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>No backoff is longer than this. Default 60 s, as Segment's clients.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// A server's <c>Retry-After</c> is honoured up to this. Default 300 s: Segment's browser client caps it there.
    /// </summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(300);
}
