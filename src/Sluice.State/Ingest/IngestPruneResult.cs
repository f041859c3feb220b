namespace Sluice.State.Ingest;

/// <summary>What one retention pass did to one ingest source.</summary>
/// <param name="Deleted">Events deleted: older than the retention and read by every reading sync, or over <c>max_backlog</c>.</param>
/// <param name="HeldBackBy">The reading syncs that have not read every event older than the retention, which is therefore kept for them.</param>
/// <param name="Lost">Per reading sync, the deleted events it had not read (only <c>max_backlog</c> deletes such); syncs that lost none are absent.</param>
public sealed record IngestPruneResult(string Source, long Deleted, IReadOnlyList<string> HeldBackBy, IReadOnlyDictionary<string, long> Lost);
