namespace Sluice.Postgres.State;

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
    long TotalAcknowledged);
