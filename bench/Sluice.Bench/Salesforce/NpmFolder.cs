using System.Security.Cryptography;
using Sluice.Bench.Harness;

namespace Sluice.Bench.Salesforce;

/// <summary>
/// A node folder with a committed package-lock.json: <c>npm ci</c> runs only when the lock changed since the last
/// install (a hash of it is kept in node_modules), so repeated runs do not reinstall.
/// </summary>
internal static class NpmFolder
{
    private const string Marker = ".sluice-bench-installed.sha256";

    public static async Task EnsureInstalledAsync(string folder, string logPath, CancellationToken ct)
    {
        var expected = Convert.ToHexString(SHA256.HashData(await File.ReadAllBytesAsync(Path.Combine(folder, "package-lock.json"), ct)));
        var marker = Path.Combine(folder, "node_modules", Marker);
        if (File.Exists(marker) && (await File.ReadAllTextAsync(marker, ct)).Trim() == expected)
        {
            return;
        }

        Console.WriteLine($"npm ci       {folder}");
        await using var npm = ChildProcess.Start("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], folder, logPath);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(5));
        await npm.WaitForExitAsync(timeout.Token);
        if (npm.ExitCode != 0)
        {
            throw new BenchFailure($"npm ci in {folder} exited with {npm.ExitCode} (is the npm registry reachable? Node 20+ and npm on PATH?); last lines of {logPath}:\n{npm.Tail()}");
        }

        await File.WriteAllTextAsync(marker, expected, ct);
    }
}
