namespace Sluice.Postgres.Destinations.Warehouse;

/// <summary>
/// A value that did not make it into its column, for the <c>discards</c> table
/// (<see cref="WarehouseDdl.CreateDiscardsTable"/>, after RudderStack's <c>rudder_discards</c>). The event itself is
/// always written; only this value is missing from it.
/// </summary>
/// <param name="Table">The table of the row.</param>
/// <param name="RowId">The row's id.</param>
/// <param name="Column">The column the value would have had.</param>
/// <param name="Value">The value as the event carried it (<see cref="WarehouseCell.Raw"/>).</param>
/// <param name="ReceivedAt">The event's receivedAt.</param>
/// <param name="Reason">Why, for a person: the reserved column, the type conflict, the name collision.</param>
internal sealed record WarehouseDiscard(
    string Table,
    string RowId,
    string Column,
    string? Value,
    DateTimeOffset? ReceivedAt,
    string Reason);
