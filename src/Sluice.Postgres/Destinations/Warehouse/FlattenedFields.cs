namespace Sluice.Postgres.Destinations.Warehouse;

/// <summary>The result of <see cref="EventFlattener.Flatten"/>: columns in the order the event has them, and the
/// fields that were refused a column.</summary>
internal sealed record FlattenedFields(IReadOnlyList<WarehouseCell> Cells, IReadOnlyList<RejectedField> Rejected);
