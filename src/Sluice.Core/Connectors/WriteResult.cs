namespace Sluice.Core.Connectors;

public enum WriteStatus
{
    /// <summary>The destination acknowledged the record.</summary>
    Ok,

    /// <summary>Not accepted now; send it again after <see cref="WriteResult.RetryAfter"/>.</summary>
    Retry,

    /// <summary>Refused for good; it goes to the dead-letter queue with <see cref="WriteResult.Reason"/>.</summary>
    Rejected,
}

/// <summary>What happened to one record of a batch.</summary>
public readonly record struct WriteResult(WriteStatus Status, string? Reason = null, TimeSpan? RetryAfter = null)
{
    public static readonly WriteResult Ok = new(WriteStatus.Ok);

    public static WriteResult Rejected(string reason) => new(WriteStatus.Rejected, reason);

    public static WriteResult Retry(string reason, TimeSpan? after = null) => new(WriteStatus.Retry, reason, after);
}
