namespace Sluice.Postgres.Security;

/// <summary>
/// A records table a sync exports to (<c>destination: {table: …, key: …}</c>) with the row privileges its mode needs
/// (<see cref="Destinations.Records.RecordsPrivileges"/>), and its groups table when it has one.
/// </summary>
internal sealed record RecordsTableGrant(string Sync, string Schema, string Table, IReadOnlyList<string> Privileges, string? GroupsSchema, string? GroupsTable)
{
    /// <summary>The sync is one direction of a two-way pair: it marks its writes with a replication origin.</summary>
    public bool MarksOrigin { get; init; }
}
