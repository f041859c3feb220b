using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Sluice.Core.Configuration;

/// <summary>
/// Finds secrets written out in the config file (<c>password: hunter2</c>) rather than referred to
/// (<c>${secret:NAME}</c> or <c>${VAR}</c>): a config file is copied, committed and pasted into tickets, so
/// <c>sluice check</c> warns about each one (docs/secrets.md).
/// </summary>
public static partial class LiteralSecrets
{
    private static readonly HashSet<string> SecretKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        "password", "passwd", "token", "secret", "write_key", "api_key", "private_key", "access_key", "secret_key", "client_secret", "admin_token",
    };

    /// <summary>One warning per literal secret: where it is and how to move it into the secrets store.</summary>
    public static IReadOnlyList<ConfigException> Find(SluiceConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var found = new List<ConfigException>();
        if (config.Root is { } root)
        {
            Walk(root, "", config.State.Location.File, found);
        }

        return found;
    }

    /// <summary>Whether a key of this name holds a secret: a known name, or one ending in _password, _token or _secret.</summary>
    public static bool IsSecretKey(string key) =>
        SecretKeys.Contains(key)
        || key.EndsWith("_password", StringComparison.OrdinalIgnoreCase)
        || key.EndsWith("_token", StringComparison.OrdinalIgnoreCase)
        || key.EndsWith("_secret", StringComparison.OrdinalIgnoreCase);

    private static void Walk(YamlNode node, string path, string file, List<ConfigException> found)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                foreach (var (keyNode, value) in mapping.Children)
                {
                    if (keyNode is not YamlScalarNode { Value: { } key })
                    {
                        continue;
                    }

                    var keyPath = path.Length == 0 ? key : path + "." + key;
                    if (value is YamlScalarNode { Value: { Length: > 0 } text } && !text.Contains("${", StringComparison.Ordinal))
                    {
                        var location = new ConfigLocation(file, checked((int)value.Start.Line), checked((int)value.Start.Column), keyPath);
                        var suggested = SuggestedName(keyPath);
                        if (IsSecretKey(key))
                        {
                            found.Add(new ConfigException(location, $"'{key}' is written out in the config file",
                                $"store it with `sluice secrets set {suggested}` and write '{key}: ${{secret:{suggested}}}' (or take it from an environment variable, ${{VAR}})"));
                        }
                        else if (UrlPassword().IsMatch(text))
                        {
                            found.Add(new ConfigException(location, $"'{key}' holds a password written out in the URL",
                                $"store the password with `sluice secrets set {suggested}_PASSWORD` and write it as ${{secret:{suggested}_PASSWORD}} in the URL (or ${{VAR}})"));
                        }
                    }
                    else
                    {
                        Walk(value, keyPath, file, found);
                    }
                }

                break;
            case YamlSequenceNode sequence:
                foreach (var (item, index) in sequence.Children.Select((item, index) => (item, index)))
                {
                    Walk(item, $"{path}[{index}]", file, found);
                }

                break;
        }
    }

    /// <summary>connections.segment.write_key → SEGMENT_WRITE_KEY: the connection (or sync) and the key.</summary>
    private static string SuggestedName(string keyPath)
    {
        var parts = keyPath.Split('.');
        var named = parts.Length >= 2 && parts[0] is "connections" or "syncs" ? parts[1..] : parts;
        var name = string.Join('_', named.Where(p => p != "auth")).ToUpperInvariant();
        name = NotNameCharacters().Replace(name, "_");
        return char.IsAsciiLetter(name[0]) ? name : "_" + name;
    }

    // scheme://user:password@host: a password in a connection URL.
    [GeneratedRegex(@"^[a-z][a-z0-9+.-]*://[^/@:\s]+:[^/@\s]+@", RegexOptions.IgnoreCase)]
    private static partial Regex UrlPassword();

    [GeneratedRegex("[^A-Za-z0-9_]")]
    private static partial Regex NotNameCharacters();
}
