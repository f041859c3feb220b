namespace Sluice.Emulators.Segment.Internal;

/// <summary>
/// One accepted event: its identity and counters for ever, its raw JSON until retention evicts it.
/// The JSON stays where it arrived, a slice of the request body shared by the whole batch; the corrected
/// JSON is only built when someone lists it (<see cref="MessageRenderer"/>), so ingest never re-serialises.
/// </summary>
internal sealed class StoredMessage(
    string messageId,
    bool messageIdAssigned,
    SegmentEventType type,
    string? userId,
    string? anonymousId,
    byte[] requestBody,
    int offset,
    int length)
{
    private int _timesReceived = 1;
    private byte[]? _requestBody = requestBody;

    public string MessageId { get; } = messageId;

    /// <summary>The event had no usable <c>messageId</c>; the emulator assigned <see cref="MessageId"/>.</summary>
    public bool MessageIdAssigned { get; } = messageIdAssigned;

    public SegmentEventType Type { get; } = type;

    public string? UserId { get; } = userId;

    public string? AnonymousId { get; } = anonymousId;

    /// <summary>The event object exactly as it appeared in the request; false once evicted.</summary>
    public bool TryGetBody(out ReadOnlyMemory<byte> body)
    {
        var requestBody = Volatile.Read(ref _requestBody);
        body = requestBody is null ? default : requestBody.AsMemory(offset, length);
        return requestBody is not null;
    }

    public BatchEnvelope? Envelope { get; init; }

    /// <summary>The event carried a <c>timestamp</c> property, which is relabelled <c>originalTimestamp</c>.</summary>
    public bool HasClientTimestamp { get; init; }

    /// <summary>Client time of the call (<c>timestamp</c>, else <c>originalTimestamp</c>) as UTC ticks; 0 if none.</summary>
    public long ClientTimeTicks { get; init; }

    /// <summary>The event's own <c>sentAt</c> as UTC ticks; 0 if none.</summary>
    public long SentAtTicks { get; init; }

    public long ReceivedAtTicks { get; private set; }

    public long TimestampTicks { get; private set; }

    public int TimesReceived => Volatile.Read(ref _timesReceived);

    /// <summary>
    /// Segment's clock-skew correction (spec/common.md "Timestamps"):
    /// <c>timestamp = receivedAt - (sentAt - originalTimestamp)</c>. No client time → server time; a client time
    /// without any <c>sentAt</c> cannot be corrected and is used as is. The event's own <c>sentAt</c> wins over the
    /// batch root's (UNDOCUMENTED; inferred from client behaviour, see reference §1.4).
    /// </summary>
    public void Receive(long receivedAtTicks)
    {
        ReceivedAtTicks = receivedAtTicks;
        var sentAt = SentAtTicks != 0 ? SentAtTicks : Envelope?.SentAtTicks ?? 0;
        var timestamp = ClientTimeTicks == 0 ? receivedAtTicks
            : sentAt == 0 ? ClientTimeTicks
            : receivedAtTicks - (sentAt - ClientTimeTicks);
        TimestampTicks = timestamp > 0 && timestamp <= DateTime.MaxValue.Ticks ? timestamp : receivedAtTicks;
    }

    public void CountDuplicate() => Interlocked.Increment(ref _timesReceived);

    public void Evict() => Volatile.Write(ref _requestBody, null);
}
