using Sluice.Core.Configuration;

namespace Sluice.Core.Connectors;

/// <summary>
/// Optional capability of an <see cref="IConnector"/> that creates things of its own in the systems it connects to and
/// can find those no sync of the config uses any more (a removed CDC sync's replication slot and publication):
/// <c>sluice prune</c> finds it with <c>connector is IPrunableResources</c> and lists and drops them without knowing what they are.
/// </summary>
public interface IPrunableResources
{
    /// <summary>What no sync of <paramref name="config"/> claims; a system that cannot be reached is a problem line, not an exception.</summary>
    Task<PrunableScan> FindPrunableAsync(SluiceConfig config, ConnectorResources resources, CancellationToken ct);

    /// <summary>Drops one resource found by <see cref="FindPrunableAsync"/>; <paramref name="force"/> also ends whoever is using it.</summary>
    Task<PruneResult> PruneAsync(SluiceConfig config, PrunableResource resource, bool force, ConnectorResources resources, CancellationToken ct);
}
