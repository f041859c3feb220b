using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Xunit;

namespace Sluice.Testing;

/// <summary>
/// Node and npm for tests that drive real vendor clients (a test project's <c>node</c> folder with a committed
/// package-lock.json, copied to its output). Missing tools fail the test with instructions (never a silent
/// skip: CI must notice). <c>npm ci</c> runs only when the lock file changed since the last install, under a
/// cross-process file lock so parallel test runs do not install over each other.
/// </summary>
public static class NodeTooling
{
    private const string Marker = ".sluice-installed.sha256";
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(4);

    /// <summary>The test project's <c>node</c> folder, as copied to the test output folder.</summary>
    public static string ClientFolder => Path.Combine(AppContext.BaseDirectory, "node");

    public static string Node => Find(OperatingSystem.IsWindows() ? "node.exe" : "node");

    public static async Task EnsureInstalledAsync(string folder)
    {
        var lockFile = Path.Combine(folder, "package-lock.json");
        Assert.True(File.Exists(lockFile), $"{lockFile} is missing: the test project should copy node/package-lock.json to its output.");
        var expected = Convert.ToHexString(SHA256.HashData(await File.ReadAllBytesAsync(lockFile)));
        var marker = Path.Combine(folder, "node_modules", Marker);
        if (IsInstalled(marker, expected))
        {
            return;
        }

        var npm = Find(OperatingSystem.IsWindows() ? "npm.cmd" : "npm");
        await using var exclusive = await AcquireLockAsync(folder);
        if (IsInstalled(marker, expected))
        {
            return;
        }

        var result = await RunAsync(npm, ["ci", "--no-audit", "--no-fund", "--loglevel=error"], folder, InstallTimeout);
        Assert.True(result.Succeeded, $"`npm ci` in {folder} failed (exit {result.ExitCode}); is the npm registry reachable?\n{result.Output}");
        await File.WriteAllTextAsync(marker, expected);
    }

    public static async Task<ProcessResult> RunAsync(string fileName, IEnumerable<string> arguments, string workingDirectory, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {fileName}");
        var output = new StringBuilder();
        var stdout = PumpAsync(process.StandardOutput, output);
        var stderr = PumpAsync(process.StandardError, output);
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            output.AppendLine($"[killed after {timeout}]");
        }

        await Task.WhenAll(stdout, stderr);
        return new ProcessResult(process.ExitCode, output.ToString());
    }

    private static bool IsInstalled(string marker, string expected) =>
        File.Exists(marker) && File.ReadAllText(marker).Trim() == expected;

    private static async Task PumpAsync(StreamReader reader, StringBuilder output)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }

    /// <summary>What a process printed (stdout and stderr interleaved) and its exit code.</summary>
    public sealed record ProcessResult(int ExitCode, string Output)
    {
        public bool Succeeded => ExitCode == 0;
    }

    private static Task<FileStream> AcquireLockAsync(string folder)
    {
        // Not inside node_modules: npm ci deletes that folder while we hold the lock.
        var name = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(folder))))[..16];
        return CrossProcessLock.AcquireAsync($"sluice-npm-ci-{name}.lock", InstallTimeout);
    }

    private static string Find(string executable)
    {
        var directories = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        foreach (var directory in directories)
        {
            var candidate = Path.Combine(directory, executable);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        Assert.Fail($"`{executable}` was not found on PATH. The vendor-client tests need Node.js 20+ with npm "
            + "(https://nodejs.org, or `apt-get install nodejs npm`); they are not skipped, so CI notices a missing toolchain.");
        return executable;
    }
}
