namespace Sluice.Postgres.Cdc;

/// <summary>A slot or publication Sluice created that no sync in the config claims any more, and where it is.</summary>
public sealed record OrphanedCdcObject(string Connection, SlotPruner.Orphan Orphan);
