using Sluice.Core.Checkpoints;

namespace Sluice.State;

/// <summary>
/// A sync's stored checkpoint with the run that wrote it and the sync's latest run: enough to tell whether
/// work stopped half-way (<c>sluice backfill</c> asks before it starts or resumes).
/// </summary>
/// <param name="Checkpoint">The committed checkpoint; <c>null</c> when none was ever committed.</param>
/// <param name="CheckpointRunId">The run that last moved the checkpoint.</param>
/// <param name="CheckpointRunStatus">That run's status (<c>running</c>, <c>succeeded</c>, <c>failed</c>, <c>cancelled</c>, <c>interrupted</c>).</param>
/// <param name="CheckpointUpdated">When the checkpoint last moved.</param>
/// <param name="LastRunId">The sync's latest run, whether or not it committed anything.</param>
/// <param name="LastRunStatus">Its status; <c>running</c> while it runs or after its process died (the next run records that).</param>
/// <param name="LastRunError">Its error, when it failed.</param>
public sealed record CheckpointStatus(
    Checkpoint? Checkpoint,
    long? CheckpointRunId,
    string? CheckpointRunStatus,
    DateTimeOffset? CheckpointUpdated,
    long? LastRunId,
    string? LastRunStatus,
    string? LastRunError);
