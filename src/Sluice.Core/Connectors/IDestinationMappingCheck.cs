using Sluice.Core.Mapping;

namespace Sluice.Core.Connectors;

/// <summary>
/// Optional capability of an <see cref="IDestination"/> whose check needs the sync's compiled mapping (a PostgreSQL
/// records table: the columns the mapping writes, and the <c>CREATE TABLE</c> that fixes a missing table, typed from
/// the mapped source columns). <c>sluice check</c> calls it instead of <see cref="IDestination.CheckAsync"/>.
/// </summary>
public interface IDestinationMappingCheck
{
    /// <summary>Throws a classified <c>SluiceException</c> when what the mapping writes cannot be written.</summary>
    Task CheckMappingAsync(CompiledMapping mapping, CancellationToken ct);
}
