using Sluice.Core.Checkpoints;
using Sluice.Core.Records;

namespace Sluice.Core.Connectors;

/// <summary>
/// Reads changes from a system. A source knows only its own system: the engine owns mapping,
/// batching, delivery, retries and checkpoints.
/// </summary>
public interface ISource : IAsyncDisposable
{
    /// <summary>A short description for messages and logs, e.g. <c>table public.users (cursor updated_at)</c>.</summary>
    string Description { get; }

    /// <summary>Connects and verifies that what the sync needs is there; throws a classified <c>SluiceException</c> otherwise.</summary>
    Task CheckAsync(CancellationToken ct);

    /// <summary>
    /// Things that work but deserve a look, for <c>sluice check</c>: rows a sync will never see, a missing index
    /// that makes every page a full scan. Each is one line with the fix. None by default.
    /// </summary>
    Task<IReadOnlyList<string>> AdviseAsync(CancellationToken ct) => Task.FromResult<IReadOnlyList<string>>([]);

    /// <summary>The columns the source can read and the record key.</summary>
    Task<SourceSchema> DiscoverAsync(CancellationToken ct);

    /// <summary>
    /// Which kinds of change the source tells apart (<see cref="Change.Kind"/>): a source the engine diffs
    /// (<see cref="Diff"/>) or that reads a log of changes knows added, changed and deleted records; one that follows
    /// a cursor knows none. A sync's mode (<c>on:</c>) may only ask for what its source detects.
    /// </summary>
    ChangeKinds Detects => Diff is null ? ChangeKinds.None : ChangeKinds.Added | ChangeKinds.Changed | ChangeKinds.Deleted;

    /// <summary>
    /// Set by a source that reads every record on every run and leaves telling added, changed and deleted records
    /// apart to the engine (which diffs them with the fingerprints the sync stored); says in which order it yields
    /// keys. <c>null</c> (the default): the source yields changes itself (a cursor, a replication slot).
    /// </summary>
    SourceDiff? Diff => null;

    /// <summary>How many changes a read from <paramref name="request"/> would yield, when cheaply known (for progress bars).</summary>
    Task<long?> EstimateAsync(ReadRequest request, CancellationToken ct);

    /// <summary>
    /// Streams changes after <see cref="ReadRequest.From"/> in position order. Memory must stay flat
    /// whatever the size of the source.
    /// </summary>
    IAsyncEnumerable<Change> ReadAsync(ReadRequest request, CancellationToken ct);

    /// <summary>
    /// Whether <see cref="ReadAsync"/> follows the source for ever (a replication slot, the ingest queue) rather than
    /// reading what is there and ending. A run of a streaming source ends only when it is stopped, and its batches
    /// are cut by time too (<see cref="DestinationLimits.FlushWindow"/>), so that a trickle is sent promptly.
    /// </summary>
    bool Streams => false;

    /// <summary>
    /// Whether a source that <see cref="Streams"/> may, once connected, read and end instead (a CDC source with
    /// <c>fallback: poll</c> where logical replication is unavailable), so that a <c>schedule:</c> can pace its polls.
    /// A schedule on a source that streams and may not poll is a config error.
    /// </summary>
    bool MayPoll => false;

    /// <summary>
    /// Whether a read from no position (a first or full run) may begin as soon as the run holds its lease, while the
    /// engine still prepares the run (records it, offers its waiting records), rather than when its read stage starts:
    /// said by a source whose first row comes only once its system has computed the whole result (a model's aggregates
    /// over every secondary row), so that the computing and the preparing overlap. The read is the same one, only
    /// sooner; nothing is sent earlier. Off by default.
    /// </summary>
    bool ReadsEarly => false;

    /// <summary>
    /// Known once <see cref="DiscoverAsync"/> has run: something about how this source reads that the user should be
    /// told at the start of every run (a CDC source that polls instead, because logical replication is unavailable).
    /// </summary>
    string? Notice => null;

    /// <summary>
    /// Called, in order, after each batch's checkpoint has been committed with its send ledger: everything up to
    /// <paramref name="checkpoint"/> is acknowledged and recorded. A replication source confirms the position to the
    /// server here (never earlier), so that the server may recycle the WAL behind it.
    /// </summary>
    ValueTask CommittedAsync(Checkpoint checkpoint, CancellationToken ct) => ValueTask.CompletedTask;
}
