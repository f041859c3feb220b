namespace Sluice.Postgres.Cdc;

/// <summary>A CDC sync's slot, judged against its thresholds (<see cref="SlotHealth.Judge"/>).</summary>
/// <param name="Sample">What the server reported; null when the slot is missing.</param>
/// <param name="LagSeconds">
/// How long the slot has held unconfirmed WAL: 0 when nothing is unconfirmed; while a reader is attached, the server's
/// <c>flush_lag</c> or, if longer, the time since the confirmed position last moved; with no reader, the time since
/// the sync last committed. Null when unknown.
/// </param>
/// <param name="Reasons">Why the state is not OK, one phrase each.</param>
public sealed record SlotHealthReport(
    SlotHealthOptions Options,
    SlotHealthSample? Sample,
    double? LagSeconds,
    SlotHealthState State,
    IReadOnlyList<string> Reasons)
{
    /// <summary>Whether the slot needs attention: WARN, STALLED, or missing although the sync made progress.</summary>
    public bool OverThreshold => State is SlotHealthState.Warn or SlotHealthState.Stalled || Reasons.Count > 0;
}
