namespace Sluice.Postgres.Security;

/// <summary>What one sync reads from a source connection.</summary>
/// <param name="Schema">The table's schema; null with <paramref name="Table"/> for a query source.</param>
/// <param name="Table">The table read; null for a query source (its SQL names the tables).</param>
/// <param name="Cdc">Whether the sync reads the table by logical replication.</param>
internal sealed record SourceReadGrant(string Sync, string? Schema, string? Table, bool Cdc)
{
    /// <summary>The table and column the sync writes destination ids back to (<c>write_back:</c>); null when it writes none.</summary>
    public (string Schema, string Table, string? Key, string Column)? WriteBack { get; init; }

    /// <summary>The sync is one direction of a two-way pair: its write-back is marked with a replication origin.</summary>
    public bool MarksOrigin { get; init; }
}
