namespace Sluice.Emulators.Segment.Internal;

/// <summary>A request body that parsed and passed the size limits, not yet recorded.</summary>
internal sealed class ParsedPayload(int capacity)
{
    /// <summary>Events that passed Segment's validation, in request order (duplicates included).</summary>
    public List<StoredMessage> Messages { get; } = new(capacity);

    /// <summary>Events that will be answered 200 but discarded (see <see cref="SegmentEmulatorStats.Dropped"/>).</summary>
    public int Dropped { get; set; }

    /// <summary><c>writeKey</c> from the body: the batch root's, else the first item's; for a single call, the event's.</summary>
    public string? WriteKey { get; set; }

    public int Received => Messages.Count + Dropped;
}
