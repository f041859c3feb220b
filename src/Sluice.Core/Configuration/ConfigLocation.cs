namespace Sluice.Core.Configuration;

/// <summary>
/// Where a value sits in the config file: the file as the user named it, a 1-based line and column,
/// and the dotted key path (<c>syncs.users_to_segment.source.table</c>).
/// </summary>
public sealed record ConfigLocation(string File, int Line, int Column, string KeyPath)
{
    public override string ToString() => $"{File}:{Line}";
}
