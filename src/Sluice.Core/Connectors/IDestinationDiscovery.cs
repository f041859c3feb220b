using Sluice.Core.Mapping;

namespace Sluice.Core.Connectors;

/// <summary>
/// Optional capability of an <see cref="IDestination"/> whose fields are known only after connecting (a Salesforce
/// object's fields, a PostgreSQL target table's columns). The engine, <c>sluice check</c> and <c>sluice plan</c> find it
/// with <c>destination is IDestinationDiscovery</c> and compile the sync's mapping against the discovered shape; without
/// it they use <see cref="IDestination.Shape"/>. Use <see cref="DestinationShapes.ResolveAsync"/> rather than testing for it.
/// </summary>
public interface IDestinationDiscovery
{
    /// <summary>
    /// Connects and returns the mapping targets the destination understands now. Keeps what
    /// <see cref="IDestination.Shape"/> knows from the config (extra and watched columns). Throws a classified
    /// <c>SluiceException</c> when the system cannot be reached or lacks what the sync names.
    /// </summary>
    Task<MappingShape> DiscoverAsync(CancellationToken ct);
}
