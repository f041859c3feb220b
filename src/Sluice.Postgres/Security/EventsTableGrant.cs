namespace Sluice.Postgres.Security;

/// <summary>An events table a sync writes (<c>destination: {table: …}</c>).</summary>
/// <param name="TablePerEventType">Whether the sync writes <c>&lt;table&gt;_&lt;event type&gt;</c> tables, which Sluice creates.</param>
internal sealed record EventsTableGrant(string Sync, string Schema, string Table, bool TablePerEventType);
