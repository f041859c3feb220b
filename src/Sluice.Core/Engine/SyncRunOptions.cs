namespace Sluice.Core.Engine;

/// <summary>Tuning of one sync's delivery. Batch limits never exceed the destination's own.</summary>
public sealed class SyncRunOptions
{
    /// <summary>Records per batch; capped at the destination's limit. <c>null</c>: the destination's limit.</summary>
    public int? BatchSize { get; init; }

    public RetryOptions Retry { get; init; } = new();
}
