namespace Sluice.Segment.Protocol;

/// <summary>A tracking request body that parsed and passed the size limits, not yet recorded.</summary>
public sealed class ParsedPayload(int capacity)
{
    /// <summary>Events that passed Segment's validation, in request order (duplicates included).</summary>
    public List<SegmentEvent> Events { get; } = new(capacity);

    /// <summary>Events that are answered 200 but discarded, as Segment does (http-api "Errors").</summary>
    public int Dropped { get; set; }

    /// <summary><c>writeKey</c> from the body: the batch root's, else the first item's; for a single call, the event's.</summary>
    public string? WriteKey { get; set; }

    public int Received => Events.Count + Dropped;
}
