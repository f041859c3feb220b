namespace Sluice.Core.Engine;

/// <summary>
/// Which share of a destination's send budget a run draws on. Backfills get only their configured share,
/// so a large historical load never starves live traffic.
/// </summary>
public enum DeliveryLane
{
    Live,
    Backfill,
}
