using System.Text;

namespace Sluice.Core.Configuration.Internal;

/// <summary>
/// Expands <c>${VAR}</c> and <c>${VAR:-default}</c> in a scalar value; <c>$${</c> is a literal
/// <c>${</c>. The default is itself expanded (<c>${A:-${B}}</c>); a variable's value is not, so a
/// password containing <c>${</c> arrives intact. <c>${secret:NAME}</c> is a secret kept encrypted in the state
/// store (docs/secrets.md), looked up through the config's <see cref="ISecretResolver"/>.
/// </summary>
internal static class EnvironmentInterpolation
{
    private const string Forms = "write ${VAR} or ${VAR:-default}, or $${ for a literal ${";

    /// <summary>How a reference to a stored secret starts.</summary>
    public const string SecretPrefix = "secret:";

    public static string Expand(string raw, Func<string, string?> lookup, ConfigLocation location, ISecretResolver? secrets = null)
    {
        if (!raw.Contains('$', StringComparison.Ordinal))
        {
            return raw;
        }

        var result = new StringBuilder(raw.Length);
        var i = 0;
        while (i < raw.Length)
        {
            if (string.CompareOrdinal(raw, i, "$${", 0, 3) == 0)
            {
                result.Append("${");
                i += 3;
            }
            else if (string.CompareOrdinal(raw, i, "${", 0, 2) == 0)
            {
                var close = MatchingBrace(raw, i + 2);
                if (close < 0)
                {
                    throw new ConfigException(location, $"'{Excerpt(raw, i)}' is not closed with '}}'", Forms);
                }

                result.Append(Resolve(raw[(i + 2)..close], lookup, location, secrets));
                i = close + 1;
            }
            else
            {
                result.Append(raw[i]);
                i++;
            }
        }

        return result.ToString();
    }

    /// <summary>
    /// The variables <paramref name="raw"/> refers to, in order and once each, including those in defaults
    /// (<c>${A:-${B}}</c> refers to A and B); empty when the value is written literally.
    /// </summary>
    public static IReadOnlyList<string> References(string raw)
    {
        var names = new List<string>();
        Collect(raw, names);
        return names;
    }

    /// <summary>How an error names the variables a value came from, e.g. "the value of APP_DB_PASSWORD, not shown".</summary>
    public static string DescribeHidden(IReadOnlyList<string> names) =>
        names.Count == 1
            ? $"the value of {names[0]}, not shown"
            : $"with the values of {string.Join(", ", names.Take(names.Count - 1))} and {names[^1]}, not shown";

    private static void Collect(string raw, List<string> names)
    {
        var i = 0;
        while (i < raw.Length)
        {
            if (string.CompareOrdinal(raw, i, "$${", 0, 3) == 0)
            {
                i += 3;
            }
            else if (string.CompareOrdinal(raw, i, "${", 0, 2) == 0)
            {
                var close = MatchingBrace(raw, i + 2);
                if (close < 0)
                {
                    return;
                }

                var body = raw[(i + 2)..close];
                if (body.StartsWith(SecretPrefix, StringComparison.Ordinal))
                {
                    // Named as written (secret:NAME), so that an error says which stored secret a hidden value came from.
                    if (!names.Contains(body, StringComparer.Ordinal))
                    {
                        names.Add(body);
                    }

                    i = close + 1;
                    continue;
                }

                var separator = body.IndexOf(":-", StringComparison.Ordinal);
                var name = separator < 0 ? body : body[..separator];
                if (IsVariableName(name) && !names.Contains(name, StringComparer.Ordinal))
                {
                    names.Add(name);
                }

                if (separator >= 0)
                {
                    Collect(body[(separator + 2)..], names);
                }

                i = close + 1;
            }
            else
            {
                i++;
            }
        }
    }

    private static string Resolve(string body, Func<string, string?> lookup, ConfigLocation location, ISecretResolver? secrets)
    {
        if (body.StartsWith(SecretPrefix, StringComparison.Ordinal))
        {
            return ResolveSecret(body[SecretPrefix.Length..], location, secrets);
        }

        var separator = body.IndexOf(":-", StringComparison.Ordinal);
        var name = separator < 0 ? body : body[..separator];
        if (!IsVariableName(name))
        {
            throw new ConfigException(location, $"'${{{body}}}' is not a valid variable reference", Forms);
        }

        var value = lookup(name);
        if (separator < 0)
        {
            return value ?? throw new ConfigException(
                location,
                $"environment variable {name} is not set",
                $"export {name}=… or set a default with ${{{name}:-…}}");
        }

        // Like the shell's ${VAR:-default}: an empty value takes the default too.
        return string.IsNullOrEmpty(value) ? Expand(body[(separator + 2)..], lookup, location, secrets) : value;
    }

    private static string ResolveSecret(string name, ConfigLocation location, ISecretResolver? secrets)
    {
        if (!SecretReference.IsValidName(name))
        {
            throw new ConfigException(location, $"'${{secret:{name}}}' is not a valid secret reference", SecretReference.NameRule);
        }

        if (secrets is null)
        {
            // Only the keys read before the state store is open get here: the state connection itself, server and state settings.
            throw new ConfigException(
                location,
                $"${{secret:{name}}} cannot be used for this key: it is read before the state store (where secrets are kept) is open",
                "give this key its value from an environment variable, ${VAR}");
        }

        string? value;
        try
        {
            value = secrets.Find(name);
        }
        catch (ConfigException e) when (e.Location is null)
        {
            throw new ConfigException(location, $"cannot read secret '{name}': {e.Problem}", e.Fix);
        }

        return value ?? throw new ConfigException(
            location,
            $"secret '{name}' is not in the state store",
            $"store it with `sluice secrets set {name}` (the value is read from stdin), or check the name with `sluice secrets list`");
    }

    /// <summary>The index of the '}' that closes a '${' whose body starts at <paramref name="start"/>, or -1.</summary>
    private static int MatchingBrace(string raw, int start)
    {
        var depth = 0;
        for (var i = start; i < raw.Length; i++)
        {
            if (raw[i] == '$' && i + 1 < raw.Length && raw[i + 1] == '{')
            {
                depth++;
                i++;
            }
            else if (raw[i] == '}')
            {
                if (depth == 0)
                {
                    return i;
                }

                depth--;
            }
        }

        return -1;
    }

    private static bool IsVariableName(string name) =>
        name.Length > 0
        && (char.IsAsciiLetter(name[0]) || name[0] == '_')
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    private static string Excerpt(string raw, int start)
    {
        var text = raw[start..];
        return text.Length <= 30 ? text : text[..30] + "…";
    }
}
