namespace Sluice.Postgres.Cdc;

/// <summary>Where a new CDC sync begins (<c>cdc: {start: …}</c>).</summary>
internal enum CdcStart
{
    /// <summary>Send the tables' current rows first, consistent with the slot, then stream what changes after them.</summary>
    Snapshot,

    /// <summary>Stream only what changes from the moment the slot is created.</summary>
    Now,
}
