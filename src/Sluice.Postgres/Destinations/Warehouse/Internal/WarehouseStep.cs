namespace Sluice.Postgres.Destinations.Warehouse.Internal;

/// <summary>What the loader was doing when PostgreSQL refused; decides which grant a permission error asks for.</summary>
internal enum WarehouseStep
{
    ReadCatalog,

    /// <summary>Waiting for the per-schema advisory lock that serialises DDL between processes.</summary>
    LockSchema,
    CreateSchema,
    CreateTable,
    AlterTable,
    Load,
}
