using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Sluice.Testing;

namespace Sluice.EndToEnd;

/// <summary>
/// The self-contained single-file <c>sluice</c> for linux-x64, published by <c>scripts/publish-binary</c> exactly as
/// <c>scripts/release</c> ships it. A publish takes minutes on a small machine, so it is kept in
/// <c>.sluice/test-binary/&lt;key&gt;</c> of the checkout, keyed by a hash of everything it is built from (sources,
/// build props, docs page names, the script): an unchanged tree reuses it, any change publishes anew.
/// </summary>
internal static class ReleaseBinary
{
    // A few minutes on an idle 2-core machine; several times that when the machine is busy building.
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(25);

    private static readonly Lazy<Task<string>> Published = new(PublishOrReuseAsync);

    /// <summary>The binary's path, published on first use by this test run (or an earlier one with the same sources).</summary>
    public static Task<string> PathAsync() => Published.Value;

    private static async Task<string> PublishOrReuseAsync()
    {
        var root = RepositoryRoot();
        var cache = Path.Combine(root, ".sluice", "test-binary");
        var folder = Path.Combine(cache, SourceKey(root));
        var binary = Path.Combine(folder, "sluice");
        var done = Path.Combine(folder, ".published");
        // Parallel test runs of one checkout publish once, not over each other.
        await using var exclusive = await CrossProcessLock.AcquireAsync("sluice-test-binary.lock", PublishTimeout);
        if (File.Exists(done))
        {
            return binary;
        }

        // Older publishes are ~100 MB each and never used again.
        if (Directory.Exists(cache))
        {
            Directory.Delete(cache, recursive: true);
        }

        var start = new ProcessStartInfo(Path.Combine(root, "scripts", "publish-binary"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("linux-x64");
        start.ArgumentList.Add(folder);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(PublishTimeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"scripts/publish-binary ran for more than {PublishTimeout.TotalMinutes} min: {await stdout}{await stderr}");
        }

        if (process.ExitCode != 0 || !File.Exists(binary))
        {
            throw new InvalidOperationException($"scripts/publish-binary failed ({process.ExitCode}): {await stdout}{await stderr}");
        }

        await File.WriteAllTextAsync(done, "");
        return binary;
    }

    /// <summary>A hash of every file the publish reads from the checkout, with its path (bin and obj left out).</summary>
    private static string SourceKey(string root)
    {
        var files = new List<string>
        {
            Path.Combine(root, "Directory.Build.props"),
            Path.Combine(root, "Directory.Packages.props"),
            Path.Combine(root, "global.json"),
            Path.Combine(root, "scripts", "publish-binary"),
        };
        files.AddRange(Directory.EnumerateFiles(Path.Combine(root, "src"), "*", SearchOption.AllDirectories)
            .Where(file => !file.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj")));
        // The CLI compiles in the names of docs/*.md (its root help lists them).
        files.AddRange(Directory.EnumerateFiles(Path.Combine(root, "docs"), "*.md"));
        files.Sort(StringComparer.Ordinal);

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in files.Where(File.Exists))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(Path.GetRelativePath(root, file) + "\n"));
            hash.AppendData(File.ReadAllBytes(file));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Sluice.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException($"no Sluice.slnx above {AppContext.BaseDirectory}");
    }
}
