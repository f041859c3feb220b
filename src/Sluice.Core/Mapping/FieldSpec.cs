using Sluice.Core.Configuration;

namespace Sluice.Core.Mapping;

/// <summary>
/// One entry of a sync's <c>mapping:</c>. A leaf maps a source column to a target name; a branch
/// (<see cref="Children"/> not null) is a nested object such as Segment's <c>traits</c>.
/// </summary>
public sealed record FieldSpec(string Target, string? Column, IReadOnlyList<FieldSpec>? Children, ConfigLocation Location)
{
    /// <summary>
    /// The leaf's mapping when it is written as <c>{column: x, ...}</c> (room for hash/mask and
    /// other per-field options); null for a plain <c>target: column</c> leaf and for branches.
    /// </summary>
    public ConfigSection? Options { get; init; }
}
