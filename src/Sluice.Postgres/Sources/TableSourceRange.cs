using Sluice.Core.Checkpoints;

namespace Sluice.Postgres.Sources;

/// <summary>
/// A backfill's slice of a table source (<c>sluice backfill</c>): the rows whose cursor column (or, with
/// <see cref="ByKey"/>, whose single-column key) is at least <see cref="From"/> and less than <see cref="To"/>.
/// Bounds are text that PostgreSQL parses as the column's type (<c>$1::type</c>), so any cursor type works;
/// <see cref="TableSource.CheckRangeAsync"/> checks them and writes them in PostgreSQL's own form. The range is
/// stored in every checkpoint of the backfill, so a resume can tell whether it continues the same one.
/// </summary>
/// <param name="ByKey">Range on the record key instead of the cursor.</param>
/// <param name="From">Inclusive start; <c>null</c>: from the first row.</param>
/// <param name="To">Exclusive end; <c>null</c>: to the last row.</param>
public sealed record TableSourceRange(bool ByKey, string? From, string? To)
{
    /// <summary>
    /// Continue from the stored checkpoint, which must be of the same range; otherwise the read starts at the
    /// range's start whatever is stored (a new backfill).
    /// </summary>
    public bool Resume { get; init; }

    /// <summary>The column the range is on; set by <see cref="TableSource.CheckRangeAsync"/>, for messages.</summary>
    public string? Column { get; init; }

    /// <summary>Whether both cover the same rows (same column, same bounds), whatever else differs.</summary>
    public bool SameBounds(TableSourceRange other) => ByKey == other.ByKey && From == other.From && To == other.To;

    /// <summary>For messages: <c>updated_at from 2024-01-01 00:00:00+00 to 2024-07-01 00:00:00+00</c>.</summary>
    public override string ToString() =>
        $"{Column ?? (ByKey ? "key" : "cursor")} {(From is null ? "from the first row" : $"from {From}")} {(To is null ? "to the last row" : $"to {To} (excluded)")}";

    /// <summary>
    /// What a backfill's stored checkpoint says: its range and the position it reached, for messages;
    /// <c>null</c> when the checkpoint is not a table backfill's.
    /// </summary>
    public static (TableSourceRange Range, string Position)? FromCheckpoint(Checkpoint checkpoint)
    {
        if (checkpoint.Format != TablePosition.Format || checkpoint.Version != TablePosition.Version)
        {
            return null;
        }

        var position = TablePosition.FromCheckpoint(checkpoint, "backfill");
        return position.Range is { } range ? (range, position.Describe()) : null;
    }
}
