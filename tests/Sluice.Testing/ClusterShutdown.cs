using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Sluice.Testing;

/// <summary>
/// Stops a test process's clusters when it ends, however it ends. <c>pg_ctl start</c> detaches the server, so nothing
/// stops it with us: a <c>ProcessExit</c> handler that runs <c>pg_ctl stop</c> is not enough, because the test
/// platform kills a test host that is slow to exit (on a loaded machine the first cluster's stop and delete took
/// that long, and the next cluster was left running), and a crashed or killed host runs no handler at all.
/// </summary>
/// <remarks>
/// Two ways, both without waiting in this process: at exit, each server is told to shut down at once (SIGQUIT, what
/// <c>pg_ctl stop -m immediate</c> sends); and a watcher process of each cluster's own, outside our process tree,
/// does the same when this process is gone by any way (SIGKILL included), waits for the server to end and deletes
/// the cluster's directory.
/// </remarks>
public static class ClusterShutdown
{
    private const int SigQuit = 3;

    private static readonly ConcurrentDictionary<string, bool> Watched = new(StringComparer.Ordinal);

    // Checks that the pid is still this cluster's server before signalling it: the file is gone once the server has
    // stopped, and its pid may by then belong to another process.
    private const string Watcher = """
        exec </dev/null >/dev/null 2>&1
        host=$1 data=$2 directory=$3
        while kill -0 "$host"; do sleep 1; done
        postmaster=$(head -n 1 "$data/postmaster.pid")
        if [ -n "$postmaster" ] && tr '\0' ' ' < "/proc/$postmaster/cmdline" | grep -qF -- "$data"; then
          kill -QUIT "$postmaster"
          while kill -0 "$postmaster"; do sleep 0.2; done
        fi
        rm -rf -- "$directory"
        """;

    static ClusterShutdown()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var data in Watched.Keys)
            {
                if (ServerOf(data) is { } postmaster)
                {
                    _ = kill(postmaster, SigQuit);
                }
            }
        };
    }

    /// <summary>
    /// From now on, the cluster in <paramref name="data"/> (to be started, or running) is stopped, and
    /// <paramref name="directory"/> deleted, when this process ends. Called before the cluster starts, so that no
    /// moment is left in which it runs unwatched.
    /// </summary>
    public static void StopWithThisProcess(string data, string directory)
    {
        Watched[data] = true;
        var start = new ProcessStartInfo("setsid")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // setsid --fork: the watcher is reparented away from us, so killing our process tree does not kill it.
        foreach (var argument in new[] { "--fork", "sh", "-c", Watcher, "sluice-test-cluster-watcher", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), data, directory })
        {
            start.ArgumentList.Add(argument);
        }

        using var setsid = Process.Start(start)!;
        setsid.WaitForExit();
    }

    /// <summary>
    /// Removes a cluster now: its server, if still running, is shut down at once, then its directory deleted. For a
    /// cluster whose test process died before its watcher could (one from before watchers, or whose watcher was killed
    /// too), or one a test had another process start. Never starts a server to stop it.
    /// </summary>
    public static async Task StopAndRemoveAsync(string data, string directory)
    {
        if (ServerOf(data) is { } postmaster)
        {
            _ = kill(postmaster, SigQuit);
            await Eventually.HoldsAsync(() => !IsServerOf(postmaster, data), $"the abandoned server of {data} stopped", TimeSpan.FromSeconds(30));
        }

        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>The pid of the server running in <paramref name="data"/>; null when none is.</summary>
    private static int? ServerOf(string data)
    {
        try
        {
            var first = File.ReadLines(Path.Combine(data, "postmaster.pid")).FirstOrDefault();
            return int.TryParse(first, out var pid) && IsServerOf(pid, data) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static bool IsServerOf(int pid, string data)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Contains(data, StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false; // already stopped
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
