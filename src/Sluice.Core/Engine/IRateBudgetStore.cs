namespace Sluice.Core.Engine;

/// <summary>
/// Where a destination's send budget lives, so that everyone sending to it draws on the same one: a token
/// bucket per budget (requests, events) and lane, and a pause that a <c>429</c> sets. The state store keeps it
/// in the database for every process; <see cref="InMemoryRateBudgetStore"/> keeps it for one process.
/// </summary>
/// <remarks>
/// Permits are taken in chunks (<see cref="RateBudgetAsk"/>) and reserved ahead when the buckets are short,
/// so that a process pays one round trip for a fraction of a second's sending, not one per request.
/// </remarks>
public interface IRateBudgetStore
{
    /// <summary>
    /// Takes the asked permits unless the destination is paused, charging every bucket involved; they may be
    /// spent from when those buckets would have held them (<see cref="RateBudgetGrant.ReadyAt"/>).
    /// </summary>
    ValueTask<RateBudgetGrant> TakeAsync(RateBudgetAsk ask, CancellationToken ct);

    /// <summary>Pauses every sender to <paramref name="destination"/> until <paramref name="until"/>; a later pause wins.</summary>
    ValueTask PauseAsync(string destination, DateTimeOffset until, DateTimeOffset now, CancellationToken ct);
}
