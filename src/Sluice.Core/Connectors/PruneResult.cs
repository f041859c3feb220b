namespace Sluice.Core.Connectors;

/// <summary>What became of one <see cref="PrunableResource"/>: dropped, or why not.</summary>
/// <param name="Dropped">Whether it is gone (also when someone else dropped it meanwhile).</param>
/// <param name="Problem">Why it was not dropped, and what to do; null when it was.</param>
public sealed record PruneResult(bool Dropped, string? Problem);
