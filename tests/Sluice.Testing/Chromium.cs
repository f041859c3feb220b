using Xunit;

namespace Sluice.Testing;

/// <summary>
/// Debian's Chromium for tests that drive a real browser (playwright-core launches it by path; Playwright's own
/// browser download cannot work on a machine that reaches only the package registries). Installed with apt-get when
/// missing, once, under a cross-process file lock; a machine where that cannot happen fails the test with what to do
/// (never a silent skip: CI must notice).
/// </summary>
public static class Chromium
{
    /// <summary>Where Debian's <c>chromium</c> package puts the browser.</summary>
    public const string DebianPath = "/usr/bin/chromium";

    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(8);

    /// <summary>The browser's path, after installing Debian's package if it is not there yet.</summary>
    public static async Task<string> EnsureInstalledAsync()
    {
        if (File.Exists(DebianPath))
        {
            return DebianPath;
        }

        Assert.True(OperatingSystem.IsLinux() && File.Exists("/usr/bin/apt-get"),
            Instructions("this is not a Debian-like machine with apt-get"));
        Assert.True(Environment.IsPrivilegedProcess, Instructions("the tests do not run as root, so they cannot install it themselves"));

        await using var exclusive = await CrossProcessLock.AcquireAsync("sluice-apt-chromium.lock", InstallTimeout);
        if (File.Exists(DebianPath))
        {
            return DebianPath;
        }

        var install = await AptGetAsync("install", "-y", "chromium");
        if (!install.Succeeded)
        {
            // A fresh machine's package lists are empty or stale: apt-get cannot find the package until they are read.
            var update = await AptGetAsync("update");
            Assert.True(update.Succeeded, Instructions($"`apt-get update` failed (exit {update.ExitCode})") + "\n" + update.Output);
            install = await AptGetAsync("install", "-y", "chromium");
        }

        Assert.True(install.Succeeded && File.Exists(DebianPath),
            Instructions($"`apt-get install -y chromium` failed (exit {install.ExitCode})") + "\n" + install.Output);
        return DebianPath;
    }

    private static Task<NodeTooling.ProcessResult> AptGetAsync(params string[] arguments) =>
        // env sets DEBIAN_FRONTEND so that no package stops to ask a question nobody is there to answer.
        NodeTooling.RunAsync("/usr/bin/env", ["DEBIAN_FRONTEND=noninteractive", "apt-get", .. arguments], Path.GetTempPath(), InstallTimeout);

    private static string Instructions(string why)
    {
        var where = Environment.GetEnvironmentVariable("CI") == "true" ? "CI's machine" : "this machine";
        return $"The browser tests need Debian's Chromium at {DebianPath}, which {where} lacks, and {why}. "
            + "Install it with `sudo apt-get update && sudo apt-get install -y chromium`; the tests are not skipped, so a missing browser is noticed.";
    }
}
