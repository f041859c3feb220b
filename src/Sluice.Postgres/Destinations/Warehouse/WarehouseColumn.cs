namespace Sluice.Postgres.Destinations.Warehouse;

/// <summary>A column of a warehouse table: a safe name and its type.</summary>
internal sealed record WarehouseColumn(string Name, WarehouseType Type);
