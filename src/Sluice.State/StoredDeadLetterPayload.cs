namespace Sluice.State;

/// <summary>A record's latest dead letter, for <c>sluice explain</c>: why it was refused and what would have been sent.</summary>
/// <param name="Reason">The reason it is in the queue now.</param>
/// <param name="Payload">The encoded record, when it got that far.</param>
/// <param name="Pending">Whether it is still in the queue (not replayed).</param>
public sealed record StoredDeadLetterPayload(string Reason, string? Payload, bool Pending, DateTimeOffset At)
{
    /// <summary><c>rejected</c>, <c>quarantined</c> or <c>waiting</c>.</summary>
    public string Kind { get; init; } = "rejected";

    /// <summary>How many times it was offered again (a replay, or a run offering a waiting record again).</summary>
    public int Attempts { get; init; }
}
