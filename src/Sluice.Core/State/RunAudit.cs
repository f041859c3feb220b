using Sluice.Core.Mapping;

namespace Sluice.Core.State;

/// <summary>
/// What one run let out of the database, for the audit log: which fields (names and transforms, never
/// values) went to which destination, how many records the destination acknowledged, who ran it and when.
/// Written when the run finishes, whether it succeeded, failed or was cancelled: a failed run may have sent records.
/// </summary>
/// <param name="DestinationConnection">The destination's connection name in the config file; null when the sync was not built from one.</param>
/// <param name="Destination">The destination as messages describe it, e.g. <c>Segment (api.segment.io)</c>.</param>
/// <param name="Fields">Every field sent, e.g. <c>traits.email ← email (hash)</c>.</param>
/// <param name="Acknowledged">Records the destination acknowledged and the run committed.</param>
/// <param name="Rejected">Records refused for good (dead-lettered).</param>
public sealed record RunAudit(
    string? DestinationConnection,
    string Destination,
    IReadOnlyList<SentField> Fields,
    long Acknowledged,
    long Rejected,
    RunActor Actor,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt);
