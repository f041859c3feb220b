namespace Sluice.Postgres.Destinations.Warehouse;

/// <summary>Which of Segment's tables a row belongs to; decides its standard and reserved columns.</summary>
internal enum WarehouseTableKind
{
    Identifies,
    Users,
    Tracks,

    /// <summary>The per-event table of a track call (<c>order_completed</c>).</summary>
    Event,
    Pages,
    Screens,
    Groups,
    Accounts,
    Aliases,
}
