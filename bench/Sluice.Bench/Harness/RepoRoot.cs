namespace Sluice.Bench.Harness;

/// <summary>The repository the bench runs in: the first directory above us holding Sluice.slnx.</summary>
internal static class RepoRoot
{
    public static string Find()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Sluice.slnx")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException("run the bench from inside the Sluice repository (no Sluice.slnx above the current directory)");
    }
}
