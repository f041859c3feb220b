using Sluice.Segment.Protocol;

namespace Sluice.Emulators.Segment.Internal;

/// <summary>
/// One accepted event: its identity and counters for ever, its raw JSON until retention evicts it.
/// The JSON stays where it arrived, a slice of the request body shared by the whole batch; the corrected
/// JSON is only built when someone lists it (<see cref="MessageRenderer"/>), so ingest never re-serialises.
/// </summary>
internal sealed class StoredMessage(SegmentEvent parsed, long receivedAtTicks)
{
    private readonly int _offset = parsed.Json.Offset;
    private readonly int _length = parsed.Json.Count;
    private readonly string? _name = parsed.Name;
    private int _timesReceived = 1;
    private byte[]? _requestBody = parsed.Json.Array;

    public string MessageId { get; } = parsed.MessageId;

    /// <summary>The event had no usable <c>messageId</c>; the emulator assigned <see cref="MessageId"/>.</summary>
    public bool MessageIdAssigned { get; } = parsed.MessageIdAssigned;

    public SegmentEventType Type { get; } = parsed.Type;

    public string? UserId { get; } = parsed.UserId;

    public string? AnonymousId { get; } = parsed.AnonymousId;

    public BatchEnvelope? Envelope { get; } = parsed.Envelope;

    public bool HasClientTimestamp { get; } = parsed.HasClientTimestamp;

    public long ClientTimeTicks { get; } = parsed.ClientTimeTicks;

    public long SentAtTicks { get; } = parsed.SentAtTicks;

    public long ReceivedAtTicks { get; } = receivedAtTicks;

    public int TimesReceived => Volatile.Read(ref _timesReceived);

    /// <summary>The event as parsed, its JSON included; false once evicted.</summary>
    public bool TryGetEvent(out SegmentEvent parsed)
    {
        var requestBody = Volatile.Read(ref _requestBody);
        parsed = requestBody is null ? default : new SegmentEvent
        {
            MessageId = MessageId,
            MessageIdAssigned = MessageIdAssigned,
            Type = Type,
            UserId = UserId,
            AnonymousId = AnonymousId,
            Name = _name,
            Json = new ArraySegment<byte>(requestBody, _offset, _length),
            Envelope = Envelope,
            HasClientTimestamp = HasClientTimestamp,
            ClientTimeTicks = ClientTimeTicks,
            SentAtTicks = SentAtTicks,
        };
        return requestBody is not null;
    }

    public void CountDuplicate() => Interlocked.Increment(ref _timesReceived);

    public void Evict() => Volatile.Write(ref _requestBody, null);
}
