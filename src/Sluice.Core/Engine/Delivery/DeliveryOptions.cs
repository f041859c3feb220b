namespace Sluice.Core.Engine.Delivery;

/// <summary>How a <see cref="DeliveryService"/> sends: its retry policy and its share of the destination's budget.</summary>
public sealed class DeliveryOptions
{
    /// <summary>Retries of transient failures and 429s. Default: <see cref="RetryOptions"/>'s defaults.</summary>
    public RetryOptions Retry { get; init; } = new();

    /// <summary>The share of the destination's budget the sends draw on. Default <see cref="DeliveryLane.Live"/>.</summary>
    public DeliveryLane Lane { get; init; } = DeliveryLane.Live;

    /// <summary>Hears each retry: the reason, the wait, and the attempt number. Default: nobody.</summary>
    public Action<string, TimeSpan, int>? OnRetry { get; init; }

    /// <summary>Jitter source in [0, 1) for the backoff; <c>null</c>: <see cref="Random.Shared"/>. Tests pin it.</summary>
    public Func<double>? Random { get; init; }
}
