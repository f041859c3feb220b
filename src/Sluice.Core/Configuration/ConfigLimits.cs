namespace Sluice.Core.Configuration;

/// <summary>
/// How much a config file may ask of Sluice. A YAML file is input like any other: a few hundred bytes of
/// anchors and aliases ("billion laughs") expand to billions of values, and a line of <c>[</c> nests
/// without end, so each is bounded before anything walks the document (docs/security.md, "Config files").
/// </summary>
public static class ConfigLimits
{
    /// <summary>The largest file read, in bytes (1 MB); a real config is a few kilobytes.</summary>
    public const int MaxFileBytes = 1024 * 1024;

    /// <summary>How deep mappings and lists may nest; a real config nests six or seven levels.</summary>
    public const int MaxDepth = 64;

    /// <summary>
    /// How many values aliases (<c>*name</c>) may produce in all, counting each value of an aliased mapping or
    /// list (and of the aliases inside it) once per use. Reusing a connection's settings a few times is far below it.
    /// </summary>
    public const int MaxAliasExpansion = 10_000;
}
