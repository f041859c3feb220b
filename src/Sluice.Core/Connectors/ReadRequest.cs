using Sluice.Core.Checkpoints;
using Sluice.Core.State;

namespace Sluice.Core.Connectors;

/// <summary>What to read: the columns the mapping needs (in this order in <c>Change.Values</c>) and where to start.</summary>
/// <param name="From">The stored checkpoint; <c>null</c> on a first or a full run (a diffing source then treats every record as added).</param>
public sealed record ReadRequest(IReadOnlyList<string> Columns, Checkpoint? From)
{
    /// <summary>The sync's stored fingerprints, for a source that diffs (<see cref="ISource.Detects"/>); <c>null</c> when the engine has none to give.</summary>
    public IRecordStateReader? RecordStates { get; init; }

    /// <summary>
    /// Columns whose values a diffing source stores with each fingerprint and hands back on the record's next change
    /// (<c>Change.Previous</c>), from <see cref="Mapping.MappingShape.WatchedColumns"/>. Empty: none.
    /// </summary>
    public IReadOnlyList<string> Watched { get; init; } = [];
}
