namespace Sluice.Core.Mapping;

/// <summary>One top-level name a destination accepts in a sync's <c>mapping:</c>.</summary>
/// <param name="Name">The key in the YAML, e.g. <c>user_id</c> or <c>traits</c>.</param>
/// <param name="IsObject">A nested object (<c>traits</c>) whose keys are free, rather than one value.</param>
/// <param name="Required">The mapping is invalid without it.</param>
/// <param name="Description">Used in error messages and <c>--help</c>.</param>
public sealed record MappingTarget(string Name, bool IsObject, bool Required, string Description);
