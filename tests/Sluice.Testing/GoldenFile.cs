using System.Runtime.CompilerServices;
using Xunit;

namespace Sluice.Testing;

/// <summary>
/// A stored format pinned by a committed file (STYLE.md rule 8: stored formats only grow). The file lives beside the
/// test that names it; a missing one is written from what the test produced, and the test fails until it is reviewed
/// and committed, so a golden file is never made up silently.
/// </summary>
public static class GoldenFile
{
    /// <summary>Fails unless <paramref name="actual"/> is exactly the content of the golden file <paramref name="name"/> beside the calling test.</summary>
    public static void AssertMatches(string actual, string name, [CallerFilePath] string caller = "")
    {
        var path = PathOf(name, caller);
        if (!File.Exists(path))
        {
            File.WriteAllText(path, actual);
            Assert.Fail($"golden file {path} did not exist; it was written from this run: review it, commit it and run again");
        }

        Assert.Equal(File.ReadAllText(path), actual);
    }

    /// <summary>The content of the golden file <paramref name="name"/> beside the calling test.</summary>
    public static string Read(string name, [CallerFilePath] string caller = "") => File.ReadAllText(PathOf(name, caller));

    private static string PathOf(string name, string caller) => Path.Combine(Path.GetDirectoryName(caller)!, name);
}
