namespace Sluice.Core.Connectors;

/// <summary>
/// What a connector watches for one sync (a CDC sync's replication slot), or for no sync (a slot nobody claims), as
/// <c>sluice status</c>, its JSON and <c>/metrics</c> show it.
/// </summary>
/// <param name="Sync">The sync it belongs to; null for a finding on a connection that no sync of the config claims.</param>
/// <param name="Subject">What is watched, as the status table's <c>slot</c> column shows it (a slot's name).</param>
/// <param name="State">The judgement; anything but <see cref="HealthState.Ok"/> and <see cref="HealthState.Unknown"/> needs attention.</param>
/// <param name="StateText">The judgement in the status table's words (<c>OK</c>, <c>WARN</c>, <c>STALLED</c>, <c>MISSING</c>).</param>
/// <param name="Lines">Its <c>/metrics</c> series.</param>
/// <param name="Messages">Why it is not OK, one line each that says what to do; printed after the status table.</param>
/// <param name="Details">What <c>sluice status --json</c> shows of it (serialised as is).</param>
public sealed record HealthReport(
    string? Sync,
    string Subject,
    HealthState State,
    string StateText,
    IReadOnlyList<HealthLine> Lines,
    IReadOnlyList<string> Messages,
    object? Details)
{
    /// <summary>The status table's <c>active</c> cell: whether a reader is attached (<c>yes</c>, <c>no</c>, <c>-</c>).</summary>
    public string Attached { get; init; } = "-";

    /// <summary>The status table's <c>lag</c> cell: how far behind, as a person reads it.</summary>
    public string Lag { get; init; } = "-";

    /// <summary>The status table's <c>lag time</c> cell.</summary>
    public string LagTime { get; init; } = "-";

    /// <summary>Whether it needs attention: <c>sluice status</c> exits 1 then.</summary>
    public bool NeedsAttention => State is HealthState.Warning or HealthState.Critical;
}
