namespace Sluice.Dev.Demo.Internal;

/// <summary>Independent random streams, so adding a column to one table leaves the others' rows unchanged.</summary>
internal enum DemoStream : byte
{
    Accounts = 1,
    Users = 2,
    ImportBatches = 3,
    Orders = 4,
}
