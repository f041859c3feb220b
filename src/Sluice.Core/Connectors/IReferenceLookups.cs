using Sluice.Core.Configuration;
using Sluice.Core.Engine.Processing;
using Sluice.Core.Engine.Processing.Validation;

namespace Sluice.Core.Connectors;

/// <summary>
/// A connector whose connections hold reference data a sync's <c>validate:</c> rules look values up in
/// (<c>exists_in: app.public.users.id</c>): PostgreSQL. A rule naming a connection of another kind is a config error.
/// </summary>
public interface IReferenceLookups
{
    /// <summary>
    /// A lookup of values in <paramref name="column"/> of <paramref name="connection"/>, one query per call
    /// (<see cref="IRecordLookup.FindAsync"/>: a key is present when some row holds it). Nothing is opened yet; the
    /// table and column are checked on first use, as a <see cref="ConfigException"/> at <see cref="ReferenceColumn.Location"/>.
    /// </summary>
    IRecordLookup CreateReferenceLookup(ConnectionConfig connection, ReferenceColumn column, ConnectorResources resources);
}
