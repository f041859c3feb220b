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

    /// <summary>
    /// While the latest run is still running (or its process died in it), the error of the run before it when that one
    /// failed: a retry in progress does not clear a failure (read by <see cref="PostgresSyncStateView.StatusAsync"/>; null elsewhere).
    /// </summary>
    public string? FailureBeforeRunning { get; init; }

    /// <summary>
    /// Whether the sync's latest finished run failed (a run still in progress does not count yet): until a run
    /// succeeds, it needs attention.
    /// </summary>
    public bool LastRunFailed => LastRunStatus == "failed" || (LastRunStatus == "running" && FailureBeforeRunning is not null);

    /// <summary>The error of the failure <see cref="LastRunFailed"/> reports.</summary>
    public string? FailureError => LastRunStatus == "failed" ? LastRunError : FailureBeforeRunning;
}
