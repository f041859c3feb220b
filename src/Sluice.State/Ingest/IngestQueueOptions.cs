using Microsoft.Extensions.Logging;

namespace Sluice.State.Ingest;

/// <summary>How the ingest queue groups commits, how much it lets wait, and how it applies retention.</summary>
public sealed class IngestQueueOptions
{
    /// <summary>
    /// Transactions that may be open at once. Default 2: one gathers requests while the other commits, and copies them
    /// in once that commit ended (or at once when its batch is full), so a commit's flush never leaves the queue idle and
    /// the requests that arrive during it share the next commit.
    /// </summary>
    public int Writers { get; init; } = 2;

    /// <summary>Events one transaction takes at most. Default 5,000. A request is never split: a larger one commits alone.</summary>
    public int MaxBatchEvents { get; init; } = 5_000;

    /// <summary>Bytes of rows (payloads and their columns) one transaction takes at most. Default 8 MB.</summary>
    public long MaxBatchBytes { get; init; } = 8L * 1024 * 1024;

    /// <summary>Requests that may wait for a commit. Default 10,000; past it callers wait for room.</summary>
    public int MaxWaitingRequests { get; init; } = 10_000;

    /// <summary>How long a caller waits for room before it gets a transient "busy" error (the API answers 503). Default 10 s.</summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Whether each commit notifies the readers (LISTEN/NOTIFY), so that a reader that has caught up reads new events
    /// at once rather than at its next poll. Default true.
    /// </summary>
    public bool Notify { get; init; } = true;

    /// <summary>The ingest sources whose old events the queue drops, and how old. Empty (the default): no pruning.</summary>
    public IReadOnlyList<IngestRetention> Retention { get; init; } = [];

    /// <summary>How often retention runs. Default 1 minute; the first pass runs at start.</summary>
    public TimeSpan PruneInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Rows one retention statement deletes at most, so that a large backlog never becomes one long transaction. Default 10,000.</summary>
    public int PruneChunk { get; init; } = 10_000;

    /// <summary>Where retention reports what it dropped (and its failures, which it retries on the next pass). Null: not reported.</summary>
    public ILogger? Log { get; init; }
}
