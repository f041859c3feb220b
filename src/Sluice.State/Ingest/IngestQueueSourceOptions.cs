namespace Sluice.State.Ingest;

/// <summary>How an ingest source reads the queue.</summary>
internal sealed class IngestQueueSourceOptions
{
    /// <summary>Events read per query. Default 1,000.</summary>
    public int PageSize { get; init; } = 1_000;

    /// <summary>
    /// How long a reader that has caught up waits before it looks again, unless a commit's notification wakes it
    /// first (<see cref="Listen"/>). Default 250 ms: a few cheap index probes a second per sync, and the most an event
    /// waits (plus the flush window) when notifications are off, lost, or came while an older transaction was still
    /// running.
    /// </summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Whether a reader that has caught up also listens for the writers' commit notifications, on a connection of its
    /// own while it streams. Default true. Polling alone is correct; listening only makes new events arrive sooner.
    /// </summary>
    public bool Listen { get; init; } = true;

    /// <summary>
    /// How long a write transaction may stay open before <c>sluice check</c> points at it as holding back the readers.
    /// Default 1 minute.
    /// </summary>
    public TimeSpan StalledAfter { get; init; } = TimeSpan.FromMinutes(1);
}
