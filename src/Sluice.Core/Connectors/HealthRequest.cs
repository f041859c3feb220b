using Sluice.Core.Configuration;

namespace Sluice.Core.Connectors;

/// <summary>What <see cref="IHealthReporting.ReadHealthAsync"/> is asked about.</summary>
/// <param name="Config">The whole config (a connector reports on the syncs and connections of its type).</param>
/// <param name="Progress">What the state store knows of each sync, by name; a sync that never ran is absent.</param>
/// <param name="Watching">
/// Whether the caller reads again and again (<c>sluice run</c>'s <c>/metrics</c>): a connector may then remember
/// between readings (since when a slot stood still) in <see cref="ConnectorResources"/>.
/// </param>
public sealed record HealthRequest(SluiceConfig Config, IReadOnlyDictionary<string, HealthSyncProgress> Progress, bool Watching);
