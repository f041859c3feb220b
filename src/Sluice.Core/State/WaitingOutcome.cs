namespace Sluice.Core.State;

/// <summary>What became of a waiting record offered again.</summary>
/// <param name="Record">The record.</param>
/// <param name="Kind">Sent, still waiting, or refused (a dead letter now).</param>
/// <param name="Reason">The new reason, for a record still waiting or refused.</param>
/// <param name="DestinationId">For a sent record, the id the destination gave it, when it gives one.</param>
public sealed record WaitingOutcome(WaitingRecord Record, WaitingOutcomeKind Kind, string? Reason = null, string? DestinationId = null);
