namespace Sluice.Core.Connectors;

/// <summary>
/// A series a connector's health lines fill (<see cref="HealthLine.Name"/>), declared up front so that hosts can
/// register it as a gauge before the first reading (<c>/metrics</c>).
/// </summary>
/// <param name="Name">The name <c>/metrics</c> shows, e.g. <c>sluice_slot_lag_bytes</c>.</param>
/// <param name="Description">The series' help text.</param>
/// <param name="Whole">Whether its values are whole numbers (bytes, 0/1 flags) rather than fractions (seconds).</param>
public sealed record HealthMetric(string Name, string Description, bool Whole);
