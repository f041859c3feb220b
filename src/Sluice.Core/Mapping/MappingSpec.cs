using Sluice.Core.Configuration;

namespace Sluice.Core.Mapping;

/// <summary>A sync's <c>mapping:</c> as written, in file order: target names to source columns.</summary>
public sealed record MappingSpec(IReadOnlyList<FieldSpec> Fields, ConfigLocation Location);
