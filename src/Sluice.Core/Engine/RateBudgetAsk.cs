namespace Sluice.Core.Engine;

/// <summary>
/// One chunk of permits asked of a destination's budget.
/// </summary>
/// <param name="Destination">The destination connection's name: the budget's key.</param>
/// <param name="Lane">Live draws on the whole budget; backfill also on its share of it.</param>
/// <param name="Now">The asker's clock; buckets refill by the time since they were last refilled.</param>
/// <param name="Requests">Request permits asked (ignored when requests are unlimited).</param>
/// <param name="Events">Event permits asked (ignored when events are unlimited).</param>
/// <param name="Limits">The destination's budget; every process should configure the same one.</param>
public sealed record RateBudgetAsk(string Destination, DeliveryLane Lane, DateTimeOffset Now, long Requests, long Events, RateLimitOptions Limits)
{
    /// <summary>
    /// A bucket holds at most this much of its rate (and at least one permit): the largest burst after an
    /// idle spell. An ask larger than a full bucket is granted from a full bucket and leaves it in debt, so a
    /// large batch waits for its whole cost and the long-run rate holds.
    /// </summary>
    public static readonly TimeSpan Burst = TimeSpan.FromMilliseconds(250);
}
