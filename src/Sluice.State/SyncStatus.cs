namespace Sluice.State;

/// <summary>A sync as the dashboard and <c>sluice status</c> show it: its last run and what is waiting in the dead-letter queue.</summary>
public sealed record SyncStatus(
    string Name,
    long? LastRunId,
    string? LastRunKind,
    string? LastRunStatus,
    DateTimeOffset? LastRunStarted,
    DateTimeOffset? LastRunFinished,
    long LastRunRead,
    long LastRunAcknowledged,
    long LastRunRejected,
    string? LastRunError,
    DateTimeOffset? CheckpointUpdated,
    long DeadLetters,
    long TotalAcknowledged)
{
    /// <summary>Runs of the sync that failed, over all time (read by <see cref="PostgresSyncStateView.StatusAsync"/>; 0 elsewhere).</summary>
    public long FailedRuns { get; init; }

    /// <summary>
    /// Of <see cref="DeadLetters"/>, the records waiting (for a parent): each run offers them again before it reads
    /// (read by <see cref="PostgresSyncStateView.StatusAsync"/>; 0 elsewhere).
    /// </summary>
    public long Waiting { get; init; }

    /// <summary>
    /// Of <see cref="DeadLetters"/>, those the latest run added and still not replayed (waiting records aside): dead
    /// letters growing (read by <see cref="PostgresSyncStateView.StatusAsync"/>; 0 elsewhere).
    /// </summary>
    public long LastRunDeadLetters { get; init; }

    /// <summary>
    /// Of <see cref="DeadLetters"/>, the events its <c>validate:</c> rules hold in the quarantine, waiting for a release
    /// or a drop (read by <see cref="PostgresSyncStateView.StatusAsync"/>; 0 elsewhere).
    /// </summary>
    public long Quarantined { get; init; }

    /// <summary>
    /// Records the latest run skipped with a reason (a lookup with no match): handled, not sent, not errors; counted from
    /// the ledger entries that run stored with a skip reason (read by <see cref="PostgresSyncStateView.StatusAsync"/>; 0 elsewhere).
    /// </summary>
    public long LastRunSkipped { get; init; }

    /// <summary>Whether the sync's latest run failed: until a run succeeds, it needs attention.</summary>
    public bool LastRunFailed => LastRunStatus == "failed";
}
