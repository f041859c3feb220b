namespace Sluice.Postgres.Security;

/// <summary>A records table a sync exports to (<c>destination: {table: …, key: …}</c>), and its groups table when it has one.</summary>
internal sealed record RecordsTableGrant(string Sync, string Schema, string Table, string? GroupsSchema, string? GroupsTable);
