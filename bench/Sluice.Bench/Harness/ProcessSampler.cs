using System.Globalization;

namespace Sluice.Bench.Harness;

/// <summary>
/// Polls <c>/proc/&lt;pid&gt;</c> of a running process: peak resident memory and CPU time. The kernel's own
/// high-water mark (VmHWM) catches peaks between two polls; it cannot be read once the process has exited,
/// so the last poll before exit stands, and the largest VmRSS seen is kept as a floor.
/// </summary>
internal sealed class ProcessSampler : IAsyncDisposable
{
    // USER_HZ: the unit of utime and stime in /proc/<pid>/stat; 100 on every Linux architecture we run on.
    private const double ClockTicksPerSecond = 100;

    private readonly int _pid;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private ProcessSampler(int pid, TimeSpan interval)
    {
        _pid = pid;
        _loop = Task.Run(() => LoopAsync(interval, _stop.Token));
    }

    /// <summary>Largest of VmHWM and VmRSS seen, in bytes.</summary>
    public long PeakRssBytes { get; private set; }

    /// <summary>User plus system CPU time at the last poll.</summary>
    public TimeSpan CpuTime { get; private set; }

    public int Samples { get; private set; }

    public static ProcessSampler Start(int pid, TimeSpan interval) => new(pid, interval);

    /// <summary>User plus system CPU time of a running process now, or null when it cannot be read (gone).</summary>
    public static TimeSpan? ReadCpuTime(int pid)
    {
        try
        {
            return CpuTimeFromStat(File.ReadAllText($"/proc/{pid}/stat"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>Stops polling; the properties keep the last values.</summary>
    public async Task StopAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
        }

        await _loop;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private async Task LoopAsync(TimeSpan interval, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(interval);
        do
        {
            Sample();
        }
        while (await Tick(timer, ct));
    }

    private static async Task<bool> Tick(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            return await timer.WaitForNextTickAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private void Sample()
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{_pid}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal) || line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    // "VmHWM:\t  123456 kB"
                    var kb = long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
                    PeakRssBytes = Math.Max(PeakRssBytes, kb * 1024);
                }
            }

            CpuTime = CpuTimeFromStat(File.ReadAllText($"/proc/{_pid}/stat"));
            Samples++;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            // The process is exiting or gone (a zombie's status has no Vm lines); the last good sample stands.
        }
    }

    private static TimeSpan CpuTimeFromStat(string stat)
    {
        // Fields 14 and 15 (utime, stime) of /proc/<pid>/stat; the command name before them may hold spaces.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / ClockTicksPerSecond);
    }
}
