namespace Sluice.Core.Connectors;

/// <summary>How a <see cref="HealthReport"/> judges what it watches, best first.</summary>
public enum HealthState
{
    /// <summary>Nothing to judge yet (a replication slot before the sync's first run): shown without colour.</summary>
    Unknown,

    /// <summary>Within its thresholds.</summary>
    Ok,

    /// <summary>Over a threshold: needs attention soon.</summary>
    Warning,

    /// <summary>Broken or about to break: needs attention now.</summary>
    Critical,
}
