namespace Sluice.Core.Engine;

/// <summary>A budget's answer to a <see cref="RateBudgetAsk"/>.</summary>
/// <param name="Granted">
/// Whether the permits were taken. A grant is a reservation: the buckets are charged at once (they may go
/// into debt) and the permits may be spent from <paramref name="ReadyAt"/>, when the buckets will have refilled for
/// them. Nothing is taken while the destination is paused.
/// </param>
/// <param name="ReadyAt">Granted: when the permits may be spent. Not granted: when the pause ends, to ask again then.</param>
/// <param name="PausedUntil">The destination's shared pause, from anyone's <c>429</c>; <see cref="DateTimeOffset.MinValue"/> if none.</param>
public readonly record struct RateBudgetGrant(bool Granted, DateTimeOffset ReadyAt, DateTimeOffset PausedUntil);
