using System.Text.RegularExpressions;
using YamlDotNet.Core;

namespace Sluice.Core.Configuration.Internal;

/// <summary>
/// YamlDotNet's parser messages ("While parsing a block mapping, did not find expected key.")
/// restated for someone editing a config file, with the fix.
/// </summary>
internal static partial class YamlSyntaxErrors
{
    public static ConfigException Translate(YamlException error, string yaml, ConfigContext context)
    {
        var message = error.Message;
        var location = context.At(error.Start, "");

        if (error is AnchorNotFoundException)
        {
            var anchor = AnchorName().Match(message) is { Success: true } m ? m.Groups[1].Value : "?";
            return new ConfigException(
                LocateAlias(yaml, anchor, location),
                $"invalid YAML: '*{anchor}' refers to an anchor '&{anchor}' that is not defined before it",
                $"define '&{anchor}' earlier in the file, or quote the value if '*' is meant literally");
        }

        if (Has(message, " tab "))
        {
            // YamlDotNet points at the start of the enclosing mapping, not at the tab.
            var line = LineWithTabIndent(yaml) ?? location.Line;
            return new ConfigException(
                location with { Line = line, Column = 1 },
                "invalid YAML: a tab is used for indentation; YAML indents with spaces only",
                "replace the tab with spaces");
        }

        if (Has(message, "quoted scalar"))
        {
            return new ConfigException(location, "invalid YAML: the quoted value that starts here is not closed", "add the closing quote");
        }

        if (Has(message, "found invalid mapping") || Has(message, "mapping values are not allowed"))
        {
            return new ConfigException(
                location,
                "invalid YAML: a value contains ': ', which YAML reads as the start of another key",
                "put the whole value in quotes, e.g. filter: \"status: active\"");
        }

        if (Has(message, "did not find expected ',' or ']'"))
        {
            return new ConfigException(location, "invalid YAML: a '[' list is not closed", "close it with ']', or put the value in quotes");
        }

        if (Has(message, "did not find expected ',' or '}'"))
        {
            return new ConfigException(location, "invalid YAML: a '{' mapping is not closed", "close it with '}', or put the value in quotes");
        }

        if (Has(message, "did not find expected key"))
        {
            return new ConfigException(
                location,
                "invalid YAML: this line is not indented like the keys around it",
                "indent it exactly as far as its sibling keys (with spaces), or quote a value that spans lines");
        }

        if (Has(message, "did not find expected '-' indicator"))
        {
            return new ConfigException(
                location,
                "invalid YAML: a list item ('- …') is expected at this indentation",
                "line it up with the other '- ' items, or check the indentation of the line above");
        }

        if (Has(message, "cannot start any token"))
        {
            var index = checked((int)error.Start.Index);
            var character = index < yaml.Length ? yaml[index].ToString() : "?";
            return new ConfigException(location, $"invalid YAML: a value cannot start with '{character}'", "put the value in quotes");
        }

        return new ConfigException(location, "invalid YAML: " + Plain(message), "check this line against the examples in docs/config.md");
    }

    private static bool Has(string message, string fragment) => message.Contains(fragment, StringComparison.OrdinalIgnoreCase);

    /// <summary>YamlDotNet points at the start of the document; find the first <c>*anchor</c> in the text instead.</summary>
    private static ConfigLocation LocateAlias(string yaml, string anchor, ConfigLocation fallback)
    {
        var match = Regex.Match(yaml, $@"\*{Regex.Escape(anchor)}(?![\w-])");
        if (!match.Success)
        {
            return fallback;
        }

        var lineStart = yaml.LastIndexOf('\n', Math.Max(0, match.Index - 1)) + 1;
        var line = yaml.AsSpan(0, match.Index).Count('\n') + 1;
        return fallback with { Line = line, Column = match.Index - lineStart + 1 };
    }

    private static int? LineWithTabIndent(string yaml)
    {
        var lines = yaml.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var indent = lines[i].Length - lines[i].TrimStart(' ', '\t').Length;
            if (lines[i][..indent].Contains('\t', StringComparison.Ordinal))
            {
                return i + 1;
            }
        }

        return null;
    }

    /// <summary>"While scanning a block scalar, found X." → "found X".</summary>
    private static string Plain(string message)
    {
        var text = LeadIn().Replace(message.Trim(), "").TrimEnd('.');
        return text.Length == 0 ? "the file cannot be parsed here" : char.ToLowerInvariant(text[0]) + text[1..];
    }

    [GeneratedRegex("anchor '([^']*)'")]
    private static partial Regex AnchorName();

    [GeneratedRegex("^While (scanning|parsing) [^,]*, ", RegexOptions.IgnoreCase)]
    private static partial Regex LeadIn();
}
