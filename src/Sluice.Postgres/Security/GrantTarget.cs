namespace Sluice.Postgres.Security;

/// <summary>What a role does for Sluice, and so which privileges <see cref="GrantsSql"/> prints for it.</summary>
public enum GrantTarget
{
    /// <summary>Receives Segment-style warehouse tables, in schemas Sluice creates.</summary>
    Warehouse,

    /// <summary>Receives events in a table a DBA created (or one table per event type).</summary>
    Events,

    /// <summary>Is read by syncs: tables by cursor or diff, queries, CDC.</summary>
    Source,

    /// <summary>Holds Sluice's own state schema.</summary>
    State,

    /// <summary>Receives exported records (and their groups) in tables a DBA created.</summary>
    Records,
}
