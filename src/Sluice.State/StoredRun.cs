namespace Sluice.State;

/// <summary>A run of a sync as the state store keeps it (the dashboard's run history).</summary>
/// <param name="Kind"><c>incremental</c>, <c>full</c>, <c>backfill</c> or <c>replay</c>.</param>
/// <param name="Status"><c>running</c>, <c>succeeded</c> or <c>failed</c>.</param>
/// <param name="FinishedAt">When it ended; <c>null</c> while it runs (or when its process died).</param>
/// <param name="Error">Why it failed; <c>null</c> when it did not.</param>
public sealed record StoredRun(
    long Id,
    string Kind,
    string Status,
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt,
    long Read,
    long Acknowledged,
    long Rejected,
    long Batches,
    string? Error);
