namespace Sluice.Postgres.Destinations.Warehouse.Internal;

/// <summary>
/// One event of a batch, ready to load: its rows fitted to the columns' types, and every value that did not make it
/// into a column.
/// </summary>
/// <param name="Index">Its place in the batch, for its <c>WriteResult</c>.</param>
/// <param name="Rows">The rows; the first is the event's own row (<c>identifies</c>, <c>tracks</c>, …), keyed by the
/// messageId, whose insertion decides whether the event is new.</param>
/// <param name="Discards">Written only when the event is new, so a replay adds none.</param>
internal sealed record WarehouseEvent(int Index, IReadOnlyList<WarehouseRow> Rows, IReadOnlyList<WarehouseDiscard> Discards)
{
    public WarehouseRow Primary => Rows[0];

    public (string Table, string Id) Key => (Primary.Table, Primary.Id);
}
