namespace Sluice.Core.Connectors;

/// <summary>What the state store knows of a sync that a health judgement needs.</summary>
/// <param name="LastSuccessAt">When the sync last delivered (a run succeeded or a checkpoint committed).</param>
/// <param name="CheckpointUpdatedAt">When its checkpoint last moved; null when it has none.</param>
public sealed record HealthSyncProgress(DateTimeOffset? LastSuccessAt, DateTimeOffset? CheckpointUpdatedAt);
