using Sluice.Core.Connectors;

namespace Sluice.Core.Engine.Delivery;

/// <summary>
/// A record the destination answered for good: <see cref="WriteStatus.Ok"/> (acknowledged, with the destination's
/// answer), <see cref="WriteStatus.Rejected"/> (refused, with the reason) or <see cref="WriteStatus.Waiting"/> (not yet,
/// with the reason). Records asked to be retried are not
/// settled: the <see cref="DeliveryService"/> sends them again.
/// </summary>
public readonly record struct SettledRecord(EncodedRecord Record, WriteResult Result)
{
    public bool Acknowledged => Result.Status == WriteStatus.Ok;

    /// <summary>Whether the destination answered "not yet": the record waits and is offered again on the next run.</summary>
    public bool Waiting => Result.Status == WriteStatus.Waiting;

    /// <summary>Why the destination refused (or deferred) the record; <c>null</c> when it acknowledged it.</summary>
    public string? RejectedBecause => Acknowledged ? null : Result.Reason ?? "rejected";
}
