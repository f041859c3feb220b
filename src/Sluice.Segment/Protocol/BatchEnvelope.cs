namespace Sluice.Segment.Protocol;

/// <summary>
/// The batch-root fields every item of one request shares, kept once per request: Segment merges the root
/// <c>context</c> and <c>integrations</c> into each item (http-api "Batch"), and batching clients
/// (analytics-node, analytics-next) send a single root <c>sentAt</c> for the whole batch.
/// </summary>
public sealed class BatchEnvelope
{
    /// <summary>The root <c>sentAt</c> JSON token as sent (with quotes), copied into items that have none.</summary>
    public byte[]? SentAtJson { get; set; }

    /// <summary>The root <c>sentAt</c> as UTC ticks; 0 when absent or unparseable.</summary>
    public long SentAtTicks { get; set; }

    /// <summary>The root <c>context</c> object as sent.</summary>
    public byte[]? Context { get; set; }

    /// <summary>The root <c>integrations</c> object as sent.</summary>
    public byte[]? Integrations { get; set; }
}
