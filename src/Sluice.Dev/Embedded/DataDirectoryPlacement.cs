using System.Runtime.Versioning;
using Sluice.Core.Errors;

namespace Sluice.Dev.Embedded;

/// <summary>
/// Where a <see cref="LocalCluster"/>'s data directory goes. As root, the server runs as the <c>postgres</c> OS
/// user, which cannot reach into a 0700 home (root's is, and so is every clone in it): such a cluster lives in a
/// directory named by the caller under a fallback root, and is found there again on the next run.
/// </summary>
public static class DataDirectoryPlacement
{
    private const UnixFileMode Traversable =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
        UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    /// <summary>
    /// <c>/var/lib/sluice</c> first: the place (FHS) for state that outlives a reboot, as the demo's data does in a
    /// home, writable by root and traversable by everyone. The temp directory only when that cannot be made (a
    /// read-only <c>/var</c>, as in some containers): it is shared with every user and often emptied on reboot.
    /// </summary>
    public static IReadOnlyList<string> DefaultFallbackRoots { get; } = ["/var/lib/sluice", Path.Combine(Path.GetTempPath(), "sluice")];

    /// <summary>Every place the cluster named <paramref name="name"/> may be: the preferred one, then one under each root.</summary>
    public static IReadOnlyList<string> Candidates(string preferred, string name, IReadOnlyList<string> fallbackRoots) =>
        [Path.GetFullPath(preferred), .. fallbackRoots.Select(root => Path.Combine(Path.GetFullPath(root), name))];

    /// <summary>
    /// <paramref name="preferred"/> when the server's OS user can reach it, else <paramref name="name"/> under the first
    /// fallback root that is ours and reachable. A cluster that already exists in one of these places stays there,
    /// so the answer holds from run to run even if permissions change.
    /// </summary>
    public static async Task<DataDirectoryChoice> ChooseAsync(string preferred, string name, IReadOnlyList<string> fallbackRoots, CancellationToken ct = default)
    {
        var candidates = Candidates(preferred, name, fallbackRoots);
        preferred = candidates[0];
        foreach (var candidate in candidates)
        {
            if (File.Exists(Path.Combine(candidate, "PG_VERSION")))
            {
                return new DataDirectoryChoice(candidate, candidate != preferred);
            }
        }

        if (!OperatingSystem.IsLinux() || await LocalCluster.ServerCanReachAsync(preferred, ct))
        {
            return new DataDirectoryChoice(preferred, Relocated: false);
        }

        foreach (var root in fallbackRoots)
        {
            if (await TryPrepareRootAsync(Path.GetFullPath(root), ct))
            {
                return new DataDirectoryChoice(Path.Combine(Path.GetFullPath(root), name), Relocated: true);
            }
        }

        throw SluiceException.Config(
            $"the '{LocalCluster.ServiceUser}' OS user, which runs PostgreSQL when Sluice runs as root, cannot reach {preferred}, " +
            $"and none of {string.Join(", ", fallbackRoots)} could be made for it; make the parents of {preferred} world-executable or set SLUICE_HOME to a directory it can reach");
    }

    /// <summary>
    /// Whether <paramref name="root"/> can hold clusters: a real directory (not a link) that only we can write to,
    /// made now if missing, and traversable by the server's OS user. In a shared place such as /tmp, a directory
    /// someone else made first could be swapped under us, so it is refused rather than trusted.
    /// </summary>
    [SupportedOSPlatform("linux")]
    private static async Task<bool> TryPrepareRootAsync(string root, CancellationToken ct)
    {
        var directory = new DirectoryInfo(root);
        try
        {
            if (!directory.Exists)
            {
                directory.Create();
                File.SetUnixFileMode(root, Traversable);
            }
            else if (directory.LinkTarget is not null
                || (directory.UnixFileMode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0
                || !await LocalCluster.IsOwnedByUsAsync(root, ct))
            {
                return false;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        return await LocalCluster.ServerCanReachAsync(root, ct);
    }
}
