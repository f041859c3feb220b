namespace Sluice.Core.Tests.Configuration;

/// <summary>The complete example in docs/config.md (its first <c>```yaml</c> block), so the docs cannot drift from the loader.</summary>
internal static class DocsExample
{
    public static readonly IReadOnlyDictionary<string, string> Environment = new Dictionary<string, string>
    {
        ["APP_DB_PASSWORD"] = "app-db-password",
        ["SEGMENT_WRITE_KEY"] = "segment-write-key",
    };

    public static string Yaml { get; } = Read();

    private static string Read()
    {
        var markdown = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "config.md"));
        const string Fence = "```yaml\n";
        var start = markdown.IndexOf(Fence, StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/config.md has no ```yaml block");
        start += Fence.Length;
        var end = markdown.IndexOf("```", start, StringComparison.Ordinal);
        return markdown[start..end];
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Sluice.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no Sluice.slnx above {AppContext.BaseDirectory}");
    }
}
