namespace Sluice.Core.Connectors;

/// <summary>What one connector found to prune, and the connections it could not look in.</summary>
/// <param name="Resources">The resources no sync claims.</param>
/// <param name="Problems">One line per connection that could not be read.</param>
public sealed record PrunableScan(IReadOnlyList<PrunableResource> Resources, IReadOnlyList<string> Problems);
