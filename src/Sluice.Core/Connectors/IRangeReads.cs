using Sluice.Core.Checkpoints;

namespace Sluice.Core.Connectors;

/// <summary>
/// Optional capability of an <see cref="ISource"/>: it can read one range of its records again, by cursor or by key
/// (<c>sluice backfill</c>). A host finds it with <c>source is IRangeReads</c>; a source without it (one that diffs
/// every record, a stream) has no range to backfill.
/// </summary>
public interface IRangeReads
{
    /// <summary>
    /// Checks <paramref name="range"/> against the source (a range by key needs a single-column key; each bound must
    /// be a value of the column's type) and returns it with its bounds in the source's canonical text and its column
    /// named, so that two spellings of one bound are the same range. A bad bound or an empty range is a config error.
    /// </summary>
    Task<SourceRange> CheckRangeAsync(SourceRange range, CancellationToken ct);

    /// <summary>The same source, read only over <paramref name="range"/> (checked by <see cref="CheckRangeAsync"/>).</summary>
    ISource WithRange(SourceRange range);

    /// <summary>
    /// What a stored checkpoint of a ranged read says: its range and the position it reached, for messages;
    /// <c>null</c> when the checkpoint is not one of this source's ranged reads.
    /// </summary>
    (SourceRange Range, string Position)? RangeOf(Checkpoint checkpoint);
}
