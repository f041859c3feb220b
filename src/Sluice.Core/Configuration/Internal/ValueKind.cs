namespace Sluice.Core.Configuration.Internal;

/// <summary>What a key holds in YAML, as far as the loader cares.</summary>
internal enum ValueKind
{
    Absent,
    Null,
    Scalar,
    Mapping,
    List,
}
