namespace Sluice.Core.State;

public enum RunKind
{
    /// <summary>From the last checkpoint.</summary>
    Incremental,

    /// <summary>From the beginning (<c>sluice sync --full</c>); message ids stay deterministic, so unchanged records are deduplicated downstream.</summary>
    Full,

    /// <summary>
    /// Over a range of a table source (<c>sluice backfill</c>), under the sync's backfill state
    /// (<c>{sync}#backfill</c>): the source starts at the range's start or, when resuming, at the backfill's own
    /// checkpoint. The live sync's checkpoint never moves.
    /// </summary>
    Backfill,

    /// <summary>
    /// Dead letters sent again (<c>sluice dlq replay</c>): nothing is read from the source and no checkpoint moves; the
    /// run row and its audit record say what the replay delivered.
    /// </summary>
    Replay,
}
