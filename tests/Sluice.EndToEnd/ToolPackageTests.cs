using System.Diagnostics;

namespace Sluice.EndToEnd;

/// <summary>
/// Sluice as an operator installs it: packed as a .NET tool and installed from a local folder. Slower than the rest
/// (a pack and an install, from the build the test run made), and run with them.
/// </summary>
[Trait("Category", "Slow")]
public sealed class ToolPackageTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(8);

    [Fact]
    public async Task The_packed_tool_installs_from_a_local_folder_and_runs_sluice_help()
    {
        var work = Directory.CreateTempSubdirectory("sluice-tool-");
        try
        {
            var packages = Path.Combine(work.FullName, "packages");
            var tools = Path.Combine(work.FullName, "tools");
            // A version of its own, and a NuGet cache of its own: an older Sluice in ~/.nuget/packages is never installed instead.
            var version = $"0.0.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}";
            var environment = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(work.FullName, "nuget-cache") };

            // The build this test run made already (Debug): packed, not built again.
            var (packed, packOutput) = await RunAsync("dotnet", ["pack", CliProject(), "--no-build", "-c", Configuration(), "-o", packages, $"-p:Version={version}", "--nologo"], environment);
            Assert.True(packed == 0, packOutput);
            Assert.True(File.Exists(Path.Combine(packages, $"Sluice.{version}.nupkg")), packOutput);

            var (installed, installOutput) = await RunAsync("dotnet", ["tool", "install", "--tool-path", tools, "--add-source", packages, "--version", version, "Sluice"], environment);
            Assert.True(installed == 0, installOutput);

            var (exit, help) = await RunAsync(Path.Combine(tools, "sluice"), ["--help"], environment);
            Assert.True(exit == 0, help);
            Assert.Contains("Start here:", help, StringComparison.Ordinal);
            var (versionExit, printed) = await RunAsync(Path.Combine(tools, "sluice"), ["--version"], environment);
            Assert.True(versionExit == 0, printed);
            Assert.Matches(@"^\d+\.\d+\.\d+\S*\+[0-9a-f]{40}$", printed.Trim()); // the version and the commit it was built from
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static string CliProject() => Path.Combine(RepositoryRoot(), "src", "Sluice.Cli", "Sluice.Cli.csproj");

    /// <summary>The configuration this test assembly (and so the CLI it references) was built in.</summary>
    private static string Configuration() =>
#if DEBUG
        "Debug";
#else
        "Release";
#endif

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Sluice.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException($"no Sluice.slnx above {AppContext.BaseDirectory}");
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string program, string[] args, Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(Deadline);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{program} {string.Join(' ', args)} ran for more than {Deadline.TotalMinutes} min: {await stdout}{await stderr}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
