using Sluice.Core.Mapping;

namespace Sluice.Core.Configuration;

/// <summary>
/// One entry of <c>syncs:</c>. The loader checks the shape every sync shares (a source and a
/// destination naming declared connections, a mapping); the rest (<c>batch:</c>, <c>retry:</c>,
/// <c>mode:</c>, the source's and destination's own keys) is read from <see cref="Section"/>,
/// <see cref="Source"/> and <see cref="Destination"/> by the engine and the connectors.
/// </summary>
/// <param name="Schedule">The <c>schedule:</c> text as written (<c>every 5m</c>, <c>manual</c>), null when absent.</param>
/// <param name="Section">The whole sync mapping.</param>
public sealed record SyncConfig(
    string Name,
    string SourceConnection,
    string DestinationConnection,
    ConfigSection Source,
    ConfigSection Destination,
    MappingSpec Mapping,
    string? Schedule,
    ConfigSection Section,
    ConfigLocation Location)
{
    /// <summary>
    /// The syncs named in <c>after:</c>, in the order written: each of them runs before this one when the scheduler
    /// starts it (see <see cref="SyncDependencies"/>). Empty when the sync has no <c>after:</c>.
    /// </summary>
    public IReadOnlyList<string> After { get; init; } = [];

    /// <summary>Its <c>attention:</c> thresholds over the top's: when status says it needs attention (docs/alerting.md).</summary>
    public AttentionThresholds Attention { get; init; } = AttentionThresholds.Default;
}
