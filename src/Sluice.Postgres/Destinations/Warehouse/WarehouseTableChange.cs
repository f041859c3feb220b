namespace Sluice.Postgres.Destinations.Warehouse;

/// <summary>
/// A table to create (<paramref name="IsNew"/>, with all of <paramref name="Columns"/>), or columns to add to an
/// existing one.
/// </summary>
internal sealed record WarehouseTableChange(string Table, bool IsNew, IReadOnlyList<WarehouseColumn> Columns);
