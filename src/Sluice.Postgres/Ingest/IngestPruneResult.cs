namespace Sluice.Postgres.Ingest;

/// <summary>What one retention pass dropped from one ingest source.</summary>
/// <param name="Deleted">Events older than the retention, deleted.</param>
/// <param name="Unread">Of those, the ones at least one reading sync had not read (every one, when no sync reads the source).</param>
public sealed record IngestPruneResult(string Source, long Deleted, long Unread);
