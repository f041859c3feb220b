namespace Sluice.EndToEnd;

/// <summary>The worked examples of docs/segment.md, read from the page so that the tests run what it shows.</summary>
internal static class SegmentDocs
{
    /// <summary>
    /// The first code block of <paramref name="language"/> that starts with <paramref name="start"/> in the section of
    /// docs/segment.md whose heading starts <c>## <paramref name="section"/>:</c> (<c>S5</c>, <c>S7</c>).
    /// </summary>
    public static string Block(string section, string language, string start)
    {
        var markdown = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "segment.md"));
        var from = markdown.IndexOf($"## {section}:", StringComparison.Ordinal);
        Assert.True(from >= 0, $"docs/segment.md has no {section} section");
        var end = markdown.IndexOf("\n## ", from + 1, StringComparison.Ordinal);
        var text = end < 0 ? markdown[from..] : markdown[from..end];
        return System.Text.RegularExpressions.Regex.Matches(text, $"```{language}\n(.*?)```", System.Text.RegularExpressions.RegexOptions.Singleline)
            .Select(m => m.Groups[1].Value).First(b => b.StartsWith(start, StringComparison.Ordinal));
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
