namespace Sluice.Core.Connectors;

/// <summary>
/// Optional capability of an <see cref="IConnector"/> that watches something of its own for its syncs (a CDC sync's
/// replication slot; an API's quota): <c>sluice status</c>, <c>/metrics</c> and the dashboard find it with
/// <c>connector is IHealthReporting</c> and show its reports without knowing what they measure.
/// </summary>
public interface IHealthReporting
{
    /// <summary>Every series its reports' lines may fill, registered by hosts before the first reading.</summary>
    IReadOnlyList<HealthMetric> HealthMetrics { get; }

    /// <summary>
    /// Reads and judges, now. A system that cannot be reached is a problem of the reading (per sync, or per
    /// connection), not an exception; throws only when the config itself is wrong.
    /// </summary>
    Task<HealthReading> ReadHealthAsync(HealthRequest request, ConnectorResources resources, CancellationToken ct);
}
