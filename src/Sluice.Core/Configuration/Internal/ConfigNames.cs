using System.Text;
using System.Text.RegularExpressions;

namespace Sluice.Core.Configuration.Internal;

/// <summary>
/// Names of connections and syncs: <c>[a-z][a-z0-9_]*</c>. They appear in commands
/// (<c>sluice sync users_to_segment</c>), in the state schema and in metric labels, so they must
/// survive all three without quoting.
/// </summary>
internal static partial class ConfigNames
{
    public static bool IsValid(string name) => Valid().IsMatch(name);

    /// <summary>Throws when <paramref name="name"/> is not a valid name, suggesting one that is.</summary>
    public static void Validate(string name, string kind, ConfigLocation location)
    {
        if (IsValid(name))
        {
            return;
        }

        var suggestion = Suggest(name);
        throw new ConfigException(
            location,
            $"{kind} name '{name}' must start with a lower-case letter and contain only lower-case letters, digits and '_'",
            suggestion is null ? null : $"rename it to '{suggestion}'");
    }

    /// <summary>A valid name close to an invalid one ('Users-To-Segment' → 'users_to_segment'), or null.</summary>
    private static string? Suggest(string name)
    {
        var result = new StringBuilder(name.Length);
        foreach (var c in name.Trim().ToLowerInvariant())
        {
            result.Append(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) ? c : '_');
        }

        var suggestion = Underscores().Replace(result.ToString(), "_").Trim('_');
        return Valid().IsMatch(suggestion) ? suggestion : null;
    }

    [GeneratedRegex("^[a-z][a-z0-9_]*$")]
    private static partial Regex Valid();

    [GeneratedRegex("_+")]
    private static partial Regex Underscores();
}
