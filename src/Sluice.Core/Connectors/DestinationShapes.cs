using Sluice.Core.Mapping;

namespace Sluice.Core.Connectors;

/// <summary>The one place the hosts and the engine learn a destination's mapping shape.</summary>
public static class DestinationShapes
{
    /// <summary>
    /// The shape to compile a mapping against: discovered (<see cref="IDestinationDiscovery"/>) when the destination can
    /// only know it after connecting, <see cref="IDestination.Shape"/> otherwise.
    /// </summary>
    public static async Task<MappingShape> ResolveAsync(IDestination destination, CancellationToken ct) =>
        destination is IDestinationDiscovery discovery ? await discovery.DiscoverAsync(ct) : destination.Shape;
}
