using System.Diagnostics;

namespace Sluice.Bench.Harness;

/// <summary>
/// Runs a bench in a copy of the bench process without tiered compilation. A bench whose load generator shares the
/// cores with what it measures (the ingest bench's HTTP clients, on two cores with <c>sluice run</c> and PostgreSQL)
/// otherwise spends most of its own CPU re-compiling the HTTP client's hot methods at tier 1 while the load runs
/// (measured: the clients' CPU fell from 0.9 s to 0.3 s per 100,000 events, bench/README.md "ingest", session 9).
/// The requests are the same; only the bench's runtime changes. The processes the bench starts (<c>sluice</c>,
/// PostgreSQL) run with the environment the bench was given, not this setting.
/// </summary>
internal static class SteadyClientProcess
{
    private const string TieredCompilation = "DOTNET_TieredCompilation";
    private const string Marker = "SLUICE_BENCH_STEADY_CLIENT";

    /// <summary>True in the copy this class started.</summary>
    public static bool IsCopy => Environment.GetEnvironmentVariable(Marker) is not null;

    /// <summary>
    /// Runs <paramref name="bench"/> here when this is already the copy (or tiering is already set by the caller);
    /// otherwise starts the copy with the same arguments, its output on this console, and returns its exit code.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, Func<Task<int>> bench, CancellationToken ct)
    {
        if (IsCopy || Environment.GetEnvironmentVariable(TieredCompilation) is not null || Environment.ProcessPath is not { } host)
        {
            return await bench();
        }

        var start = new ProcessStartInfo(host) { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            start.ArgumentList.Add(Environment.GetCommandLineArgs()[0]);
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment[TieredCompilation] = "0";
        start.Environment[Marker] = "1";
        using var copy = Process.Start(start) ?? throw new InvalidOperationException("could not start the bench's own copy");

        // Ctrl-C reaches the copy too (same process group): it stops its children and exits; this waits for that.
        await copy.WaitForExitAsync(CancellationToken.None);
        return copy.ExitCode;
    }

    /// <summary>The environment of a child the copy starts: as the bench was given it, without the copy's own settings.</summary>
    public static void RestoreEnvironment(ProcessStartInfo child)
    {
        if (IsCopy)
        {
            child.Environment.Remove(TieredCompilation);
            child.Environment.Remove(Marker);
        }
    }
}
