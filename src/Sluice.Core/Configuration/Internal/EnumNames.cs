using System.Text;

namespace Sluice.Core.Configuration.Internal;

/// <summary>
/// Enum values as written in YAML: case-insensitive, with snake_case and kebab-case standing for
/// PascalCase (<c>verify-full</c> and <c>verify_full</c> are <c>VerifyFull</c>).
/// </summary>
internal static class EnumNames
{
    public static bool TryParse<T>(string text, out T value)
        where T : struct, Enum
    {
        var wanted = Normalise(text);
        foreach (var name in Enum.GetNames<T>())
        {
            if (Normalise(name) == wanted)
            {
                value = Enum.Parse<T>(name);
                return true;
            }
        }

        value = default;
        return false;
    }

    /// <summary>The allowed values in the style the user wrote (snake_case when they used '_', else kebab-case).</summary>
    public static IReadOnlyList<string> Display<T>(string written)
        where T : struct, Enum
    {
        var separator = written.Contains('_', StringComparison.Ordinal) ? '_' : '-';
        return Enum.GetNames<T>().Select(name => Split(name, separator)).ToList();
    }

    private static string Normalise(string text) =>
        text.Trim().Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal).ToLowerInvariant();

    private static string Split(string pascal, char separator)
    {
        var result = new StringBuilder(pascal.Length + 4);
        for (var i = 0; i < pascal.Length; i++)
        {
            // A capital starts a word after a lower-case letter, or ends an acronym: VerifyCA → verify-ca, HTTPServer → http-server.
            var startsWord = i > 0 && char.IsUpper(pascal[i])
                && (!char.IsUpper(pascal[i - 1]) || (i + 1 < pascal.Length && char.IsLower(pascal[i + 1])));
            if (startsWord)
            {
                result.Append(separator);
            }

            result.Append(char.ToLowerInvariant(pascal[i]));
        }

        return result.ToString();
    }
}
