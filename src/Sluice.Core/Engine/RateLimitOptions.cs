namespace Sluice.Core.Engine;

/// <summary>
/// A destination's send budget, shared by every sync, lane and process that sends to it. <c>null</c> means
/// unlimited. See <see cref="DeliveryGate"/> for how the budget is spent.
/// </summary>
public sealed class RateLimitOptions
{
    /// <summary>The default <see cref="BackfillShare"/>: a quarter of the budget.</summary>
    public const double DefaultBackfillShare = 0.25;

    public double? RequestsPerSecond { get; init; }

    public double? EventsPerSecond { get; init; }

    /// <summary>
    /// The largest share (0–1] of each budget that the <see cref="DeliveryLane.Backfill"/> lane may use, together,
    /// across every process. Live traffic may use the whole budget, so at least <c>1 − share</c> of it is always
    /// left to live traffic however busy the backfills are. Default <see cref="DefaultBackfillShare"/>.
    /// </summary>
    public double BackfillShare { get; init; } = DefaultBackfillShare;

    /// <summary>Whether any budget is set: an unlimited destination needs no shared state.</summary>
    public bool IsLimited => RequestsPerSecond is > 0 || EventsPerSecond is > 0;
}
