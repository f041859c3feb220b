using Sluice.Core.Configuration;

namespace Sluice.Core.Mapping;

/// <summary>A sync's <c>mapping:</c> as written, in file order: target names to source columns.</summary>
/// <param name="Declared">Whether the sync has a <c>mapping:</c> at all; a destination that writes whole events (a warehouse) needs none.</param>
public sealed record MappingSpec(IReadOnlyList<FieldSpec> Fields, ConfigLocation Location, bool Declared = true)
{
    /// <summary>The mapping of a sync that declares none.</summary>
    public static MappingSpec None(ConfigLocation syncLocation) => new([], syncLocation, Declared: false);
}
