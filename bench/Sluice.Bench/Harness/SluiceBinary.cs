using System.Diagnostics;

namespace Sluice.Bench.Harness;

/// <summary>The <c>sluice</c> executable the bench drives as a child process, as users run it.</summary>
internal static class SluiceBinary
{
    /// <summary>
    /// The given path, or the build users run: <c>./sluice</c> publishes the CLI (Release, self-contained, composite ReadyToRun) into
    /// <c>.sluice/bin</c> when the sources are newer than it; the bench asks it to, then drives that build.
    /// </summary>
    public static async Task<string> LocateAsync(string repoRoot, string? explicitPath, CancellationToken ct)
    {
        if (explicitPath is not null)
        {
            return File.Exists(explicitPath) ? explicitPath : throw new FileNotFoundException($"no sluice binary at {explicitPath}");
        }

        var start = new ProcessStartInfo(Path.Combine(repoRoot, "sluice"))
        {
            WorkingDirectory = repoRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("--version");
        SteadyClientProcess.RestoreEnvironment(start);

        using var build = Process.Start(start) ?? throw new InvalidOperationException("could not start ./sluice");
        var stdout = build.StandardOutput.ReadToEndAsync(ct);
        var stderr = build.StandardError.ReadToEndAsync(ct);
        await build.WaitForExitAsync(ct);
        var path = Path.Combine(repoRoot, ".sluice", "bin", "sluice");
        if (build.ExitCode != 0 || !File.Exists(path))
        {
            throw new InvalidOperationException($"./sluice could not build the CLI (exit {build.ExitCode}):\n{await stdout}{await stderr}");
        }

        return path;
    }
}
