namespace Sluice.Postgres.State;

/// <summary>A dead letter as the state store keeps it (<c>sluice dlq list</c>).</summary>
/// <param name="SyncName">The sync whose run refused it (<c>NAME#backfill</c> for a backfill's).</param>
/// <param name="Payload">What would have been sent; <c>null</c> when it was refused before it was encoded, or when not asked for.</param>
/// <param name="ReplayedAt">When a replay delivered it; <c>null</c> while it is in the queue.</param>
/// <param name="ReplayOutcome"><c>delivered</c> or <c>refused</c> for the last replay; <c>null</c> when never replayed.</param>
/// <param name="ReplayAttempts">How many replays it went through.</param>
public sealed record StoredDeadLetter(
    long Id,
    string SyncName,
    long RunId,
    string RecordKey,
    string? MessageId,
    string Reason,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ReplayedAt,
    string? ReplayOutcome,
    int ReplayAttempts,
    string? Payload)
{
    /// <summary><c>rejected</c> (a dead letter), <c>quarantined</c> (held back by a processor) or <c>waiting</c> (deferred until its parent exists).</summary>
    public string Kind { get; init; } = "rejected";
}
