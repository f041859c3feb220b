namespace Sluice.Core.Connectors;

/// <summary>The name under which a sync marks its own writes (<see cref="IMarksOwnWrites"/>), and how a source recognises it.</summary>
public static class OwnWriteOrigin
{
    /// <summary>Every origin Sluice marks its writes with starts with this; nothing else should.</summary>
    public const string Prefix = "sluice_";

    /// <summary>The origin of <paramref name="sync"/>'s writes: one per sync, so a change says which sync made it.</summary>
    public static string For(string sync) => Prefix + sync;

    /// <summary>Whether a change marked with <paramref name="origin"/> was written by Sluice.</summary>
    public static bool IsOwn(string? origin) => origin is not null && origin.StartsWith(Prefix, StringComparison.Ordinal);
}
