namespace Sluice.Core.Connectors;

/// <summary>
/// A backfill's slice of a source (<c>sluice backfill</c>, <see cref="IRangeReads"/>): the records whose cursor
/// (or, with <see cref="ByKey"/>, whose single-column key) is at least <see cref="From"/> and less than
/// <see cref="To"/>. Bounds are text in the source's own notation (a PostgreSQL table parses them as the column's
/// type); <see cref="IRangeReads.CheckRangeAsync"/> checks them and writes them in the source's canonical form.
/// A source that reads a range stores it in every checkpoint, so a resume can tell whether it continues the same one.
/// </summary>
/// <param name="ByKey">Range on the record key instead of the cursor.</param>
/// <param name="From">Inclusive start; <c>null</c>: from the first record.</param>
/// <param name="To">Exclusive end; <c>null</c>: to the last record.</param>
public sealed record SourceRange(bool ByKey, string? From, string? To)
{
    /// <summary>
    /// Continue from the stored checkpoint, which must be of the same range; otherwise the read starts at the
    /// range's start whatever is stored (a new backfill).
    /// </summary>
    public bool Resume { get; init; }

    /// <summary>The column the range is on; set by <see cref="IRangeReads.CheckRangeAsync"/>, for messages.</summary>
    public string? Column { get; init; }

    /// <summary>Whether both cover the same records (same column, same bounds), whatever else differs.</summary>
    public bool SameBounds(SourceRange other) => ByKey == other.ByKey && From == other.From && To == other.To;

    /// <summary>For messages: <c>updated_at from 2024-01-01 00:00:00+00 to 2024-07-01 00:00:00+00</c>.</summary>
    public override string ToString() =>
        $"{Column ?? (ByKey ? "key" : "cursor")} {(From is null ? "from the first row" : $"from {From}")} {(To is null ? "to the last row" : $"to {To} (excluded)")}";
}
