using System.Diagnostics;

namespace Sluice.EndToEnd;

/// <summary>
/// The self-contained single-file binary that <c>scripts/release</c> ships, run as an operator runs it: no .NET on
/// its path, only the file. Slower than the rest on first run (a publish of a few minutes, reused while the sources
/// stay the same; see <see cref="ReleaseBinary"/>).
/// </summary>
[Trait("Category", "Slow")]
public sealed class ReleaseBinaryTests
{
    [Fact]
    public async Task The_single_file_binary_checks_a_config_against_a_cluster_and_exits_0()
    {
        var binary = await ReleaseBinary.PathAsync();
        await using var bed = await SyncTestBed.CreateAsync(nameof(The_single_file_binary_checks_a_config_against_a_cluster_and_exits_0), 10);

        var (exit, output) = await RunAsync(binary, bed.Directory, "check", "-c", bed.ConfigPath);

        Assert.True(exit == 0, output);
        Assert.Contains("connection 'app' (postgres)", output, StringComparison.Ordinal);
        Assert.Contains("connection 'segment' (segment)", output, StringComparison.Ordinal);
        Assert.Contains($"sync '{SyncTestBed.SyncName}'", output, StringComparison.Ordinal);
        Assert.Equal(0, bed.Emulator.Stats.Events);
    }

    [Fact]
    public async Task The_single_file_binary_names_the_key_of_a_broken_config_and_exits_2()
    {
        var binary = await ReleaseBinary.PathAsync();
        await using var bed = await SyncTestBed.CreateAsync(nameof(The_single_file_binary_names_the_key_of_a_broken_config_and_exits_2), 10);
        var yaml = await File.ReadAllTextAsync(bed.ConfigPath);
        await File.WriteAllTextAsync(bed.ConfigPath, yaml.Replace("email: email", "email: emial", StringComparison.Ordinal));

        var (exit, output) = await RunAsync(binary, bed.Directory, "check", "-c", bed.ConfigPath);

        Assert.True(exit == 2, output);
        Assert.Contains("syncs.users_to_segment.mapping.traits.email", output, StringComparison.Ordinal);
        Assert.Contains("column 'emial' does not exist in public.users", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal); // no stack trace
    }

    [Fact]
    public async Task The_single_file_binary_prints_its_version_and_commit()
    {
        var binary = await ReleaseBinary.PathAsync();

        var (exit, output) = await RunAsync(binary, Path.GetTempPath(), "--version");

        Assert.True(exit == 0, output);
        Assert.Matches(@"^\d+\.\d+\.\d+\S*\+[0-9a-f]{40}$", output.Trim());
    }

    /// <summary>Runs the binary to its end with an environment as bare as a systemd unit's: exit code and everything it printed.</summary>
    private static async Task<(int ExitCode, string Output)> RunAsync(string binary, string directory, params string[] args)
    {
        var start = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Clear();
        start.Environment["PATH"] = "/usr/local/bin:/usr/bin:/bin";
        start.Environment["HOME"] = Path.GetTempPath();
        start.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
