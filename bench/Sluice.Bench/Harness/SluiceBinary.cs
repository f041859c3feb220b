using System.Diagnostics;

namespace Sluice.Bench.Harness;

/// <summary>The <c>sluice</c> executable the bench drives as a child process, as users run it.</summary>
internal static class SluiceBinary
{
    /// <summary>
    /// The given path, or the Release build under src/Sluice.Cli — which <c>dotnet run -c Release --project
    /// bench/Sluice.Bench</c> has just rebuilt, since the bench references the CLI project — built here when missing.
    /// </summary>
    public static async Task<string> LocateAsync(string repoRoot, string? explicitPath, CancellationToken ct)
    {
        if (explicitPath is not null)
        {
            return File.Exists(explicitPath) ? explicitPath : throw new FileNotFoundException($"no sluice binary at {explicitPath}");
        }

        var path = Path.Combine(repoRoot, "src", "Sluice.Cli", "bin", "Release", "net10.0", "sluice");
        if (File.Exists(path))
        {
            return path;
        }

        Console.WriteLine("building sluice (dotnet build -c Release src/Sluice.Cli) ...");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = repoRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "build", "-c", "Release", "src/Sluice.Cli", "-nologo", "-v", "quiet" })
        {
            start.ArgumentList.Add(arg);
        }

        using var build = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet");
        var stdout = build.StandardOutput.ReadToEndAsync(ct);
        var stderr = build.StandardError.ReadToEndAsync(ct);
        await build.WaitForExitAsync(ct);
        if (build.ExitCode != 0 || !File.Exists(path))
        {
            throw new InvalidOperationException($"building src/Sluice.Cli failed (exit {build.ExitCode}):\n{await stdout}{await stderr}");
        }

        return path;
    }
}
