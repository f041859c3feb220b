namespace Sluice.Core.Engine;

/// <summary>A destination's send budget. <c>null</c> means unlimited.</summary>
public sealed class RateLimitOptions
{
    public double? RequestsPerSecond { get; init; }

    public double? EventsPerSecond { get; init; }
}
