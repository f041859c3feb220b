using System.Text;
using System.Text.RegularExpressions;
using Sluice.Core.Configuration;
using static Sluice.Server.Dashboard.Internal.Html;

namespace Sluice.Server.Dashboard.Internal;

/// <summary>
/// A config section as loaded, for a person to read: nested keys as nested lists, every value through
/// <see cref="ConfigSection.Show"/> — the same rule errors and <c>sluice check</c> use: a <c>${VAR}</c> is shown as
/// written, never its value, and a key read as a secret is hidden. A key named like a secret (a password, a token, a
/// write key) is hidden too, even before a connector has read it as one.
/// </summary>
internal static partial class ConfigView
{
    public const string Hidden = "(hidden: it is a secret)";

    /// <summary>The section as YAML-like lines (<c>key: value</c>, nested keys indented), in a block that wraps on a phone.</summary>
    public static void Render(StringBuilder html, ConfigSection section)
    {
        html.Append("<pre class=\"config\">");
        Lines(html, section, 0);
        html.Append("</pre>");
    }

    private static void Lines(StringBuilder html, ConfigSection section, int depth)
    {
        var indent = new string(' ', depth * 2);
        foreach (var key in section.Keys)
        {
            html.Append(indent).Append(E(key)).Append(':');
            if (SecretName().IsMatch(key))
            {
                html.Append(' ').Append(E(Hidden)).Append('\n');
            }
            else if (Nested(section, key) is { } child)
            {
                html.Append('\n');
                Lines(html, child, depth + 1);
            }
            else if (Items(section, key) is { } items)
            {
                html.Append('\n');
                foreach (var item in items)
                {
                    html.Append(indent).Append("  -\n");
                    Lines(html, item, depth + 2);
                }
            }
            else
            {
                var shown = section.Show(key);
                html.Append(' ').Append(E(shown.StartsWith("the value given (hidden", StringComparison.Ordinal) ? Hidden : shown)).Append('\n');
            }
        }
    }

    private static ConfigSection? Nested(ConfigSection section, string key)
    {
        try
        {
            return section.GetSection(key);
        }
        catch (ConfigException)
        {
            return null; // a value or a list
        }
    }

    private static IReadOnlyList<ConfigSection>? Items(ConfigSection section, string key)
    {
        try
        {
            return section.GetSectionList(key);
        }
        catch (ConfigException)
        {
            return null; // a value, or a list of values
        }
    }

    [GeneratedRegex("password|passphrase|secret|token|write_key|api_key|private_key|client_key|credentials", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SecretName();
}
