namespace Sluice.Segment.Protocol;

/// <summary>
/// One tracking call that passed Segment's validation. <see cref="Json"/> is the event object exactly as it
/// appeared in the request, a slice of the request body shared by the whole batch: nothing is re-serialised
/// until someone needs the normalised event (<see cref="SegmentEventWriter"/>).
/// </summary>
public readonly record struct SegmentEvent
{
    public required string MessageId { get; init; }

    /// <summary>The event had no usable <c>messageId</c>; the API assigned <see cref="MessageId"/>.</summary>
    public bool MessageIdAssigned { get; init; }

    public SegmentEventType Type { get; init; }

    public string? UserId { get; init; }

    public string? AnonymousId { get; init; }

    /// <summary>A track's <c>event</c>, or a page's or screen's <c>name</c>; otherwise null.</summary>
    public string? Name { get; init; }

    /// <summary>The event object as sent.</summary>
    public ArraySegment<byte> Json { get; init; }

    /// <summary>The batch root's shared fields (null for a single call).</summary>
    public BatchEnvelope? Envelope { get; init; }

    /// <summary>The event carried a <c>timestamp</c> property, which is relabelled <c>originalTimestamp</c>.</summary>
    public bool HasClientTimestamp { get; init; }

    /// <summary>Client time of the call (<c>timestamp</c>, else <c>originalTimestamp</c>) as UTC ticks; 0 if none.</summary>
    public long ClientTimeTicks { get; init; }

    /// <summary>The event's own <c>sentAt</c> as UTC ticks; 0 if none.</summary>
    public long SentAtTicks { get; init; }

    /// <summary>
    /// Segment's clock-skew correction (spec/common.md "Timestamps"):
    /// <c>timestamp = receivedAt - (sentAt - originalTimestamp)</c>. No client time → server time; a client time
    /// without any <c>sentAt</c> cannot be corrected and is used as is. The event's own <c>sentAt</c> wins over the
    /// batch root's (UNDOCUMENTED; inferred from client behaviour, see reference §1.4).
    /// </summary>
    public long CorrectedTimestampTicks(long receivedAtTicks) =>
        SegmentTimestamps.Correct(ClientTimeTicks, SentAtTicks != 0 ? SentAtTicks : Envelope?.SentAtTicks ?? 0, receivedAtTicks);
}
