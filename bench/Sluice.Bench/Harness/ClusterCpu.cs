using System.Globalization;

namespace Sluice.Bench.Harness;

/// <summary>
/// The CPU a local PostgreSQL cluster has used: its postmaster and every live child (backends, WAL writer,
/// checkpointer, autovacuum), plus the children it has already reaped. Read before and after a phase, the difference
/// is what the server spent on it — the other half of a landing's cost, beside the sluice process's own.
/// </summary>
internal static class ClusterCpu
{
    /// <summary>User+system CPU seconds of the cluster now; null when its postmaster cannot be read (not Linux, gone).</summary>
    public static double? Read(string dataDirectory)
    {
        try
        {
            var postmaster = int.Parse(File.ReadLines(Path.Combine(dataDirectory, "postmaster.pid")).First(), CultureInfo.InvariantCulture);
            var ticks = 0L;
            foreach (var directory in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || Stat(pid) is not { } stat)
                {
                    continue;
                }

                if (pid == postmaster)
                {
                    // utime, stime, and cutime, cstime: the children it has waited for (backends that ended).
                    ticks += stat.Fields[11] + stat.Fields[12] + stat.Fields[13] + stat.Fields[14];
                }
                else if (stat.Fields[1] == postmaster)
                {
                    ticks += stat.Fields[11] + stat.Fields[12];
                }
            }

            // USER_HZ is 100 on Linux.
            return ticks / 100.0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>The numeric fields of /proc/PID/stat after the command's name, from field 3 (state, as 0) on.</summary>
    private static (long[] Fields, int Pid)? Stat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        var parts = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        var fields = new long[Math.Min(parts.Length, 20)];
        for (var i = 1; i < fields.Length; i++)
        {
            fields[i] = long.TryParse(parts[i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value : 0;
        }

        return (fields, pid);
    }
}
