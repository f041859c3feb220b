using Sluice.Core.Checkpoints;

namespace Sluice.Core.Connectors;

/// <summary>What to read: the columns the mapping needs (in this order in <c>Change.Values</c>) and where to start.</summary>
public sealed record ReadRequest(IReadOnlyList<string> Columns, Checkpoint? From);
