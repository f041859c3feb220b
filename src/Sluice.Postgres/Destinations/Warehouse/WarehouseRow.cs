namespace Sluice.Postgres.Destinations.Warehouse;

/// <summary>
/// One row to write into one warehouse table.
/// </summary>
/// <param name="Table">The safe table name.</param>
/// <param name="Kind">Which Segment table this is; decides the write mode.</param>
/// <param name="Id">The primary key: the messageId, or the userId (<c>users</c>) or groupId (<c>accounts</c>).</param>
/// <param name="Cells">The columns in a stable order: standard ones first (in Segment's order), then context,
/// then properties or traits as they appear in the event. Never two cells for one column.</param>
/// <param name="ReceivedAt">The event's receivedAt, for discards and for picking the latest state.</param>
internal sealed record WarehouseRow(
    string Table,
    WarehouseTableKind Kind,
    string Id,
    IReadOnlyList<WarehouseCell> Cells,
    DateTimeOffset? ReceivedAt)
{
    /// <summary>
    /// <c>users</c> and <c>accounts</c> hold the latest state per id: the loader merges the row into an existing one,
    /// each column taking the latest non-null value by <c>received_at</c>. Every other table appends, skipping an id
    /// it already has (a replayed messageId).
    /// </summary>
    public bool IsLatestState => Kind is WarehouseTableKind.Users or WarehouseTableKind.Accounts;

    public WarehouseCell? Cell(string column) => Cells.FirstOrDefault(c => c.Column == column);
}
