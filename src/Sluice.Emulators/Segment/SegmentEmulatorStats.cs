namespace Sluice.Emulators.Segment;

/// <summary>
/// A snapshot of what the emulator has seen since it started or was last reset.
/// <c>Events = Unique + Duplicates + Dropped</c>, counted only for requests that were answered 200.
/// </summary>
public sealed class SegmentEmulatorStats
{
    /// <summary>Tracking requests (<c>POST /v1/...</c>), whatever their outcome. Metrics posts (<c>/v1/m</c>) are not counted.</summary>
    public long Requests { get; init; }

    /// <summary>Events in requests that were accepted (200).</summary>
    public long Events { get; init; }

    /// <summary>Events stored under a <c>messageId</c> not seen before.</summary>
    public long Unique { get; init; }

    /// <summary>Events whose <c>messageId</c> had been seen before; not stored again.</summary>
    public long Duplicates { get; init; }

    /// <summary>
    /// Events answered 200 but discarded, as Segment does: no <c>userId</c>/<c>anonymousId</c>, a track without
    /// <c>event</c>, a group without <c>groupId</c>, an alias without <c>previousId</c>, a missing or unknown
    /// <c>type</c> in a batch, a <c>messageId</c> over 100 characters, or items past the 2,500th of a batch.
    /// </summary>
    public long Dropped { get; init; }

    /// <summary>Requests answered 4xx (invalid JSON, over-size, bad write key, ...).</summary>
    public long RejectedRequests { get; init; }

    /// <summary>Requests failed on purpose: <see cref="RateLimited"/> + <see cref="ServerErrors"/> + <see cref="ConnectionsAborted"/>.</summary>
    public long Faults { get; init; }

    /// <summary>Injected 429 responses.</summary>
    public long RateLimited { get; init; }

    /// <summary>Injected 500/503 responses.</summary>
    public long ServerErrors { get; init; }

    /// <summary>Injected connection aborts.</summary>
    public long ConnectionsAborted { get; init; }

    /// <summary>Requests delayed on purpose (they are then processed normally, so not counted in <see cref="Faults"/>).</summary>
    public long SlowResponses { get; init; }

    /// <summary>Unique events per type (<c>identify</c>, <c>track</c>, ...); every type is present, zero or not.</summary>
    public IReadOnlyDictionary<string, long> ByType { get; init; } = new Dictionary<string, long>();

    /// <summary>Distinct non-empty <c>userId</c> values among unique events.</summary>
    public long DistinctUserIds { get; init; }

    /// <summary>Events whose body is still kept for <see cref="SegmentEmulator.Messages"/>.</summary>
    public long RetainedMessages { get; init; }
}
