namespace Sluice.Core.Connectors;

/// <summary>One thing a connector created that no sync of the config uses any more.</summary>
/// <param name="Connection">The connection it lives behind.</param>
/// <param name="Kind">What it is, in the connector's words (<c>slot</c>, <c>publication</c>).</param>
/// <param name="Name">Its name in that system.</param>
/// <param name="Description">One line for the listing: kind, name and what it costs to keep.</param>
public sealed record PrunableResource(string Connection, string Kind, string Name, string Description);
