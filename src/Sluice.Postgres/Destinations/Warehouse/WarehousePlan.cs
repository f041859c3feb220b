namespace Sluice.Postgres.Destinations.Warehouse;

/// <summary>What one Segment event becomes: its rows, and the values discarded on the way.</summary>
internal sealed record WarehousePlan(IReadOnlyList<WarehouseRow> Rows, IReadOnlyList<WarehouseDiscard> Discards);
