namespace Sluice.Core.Configuration;

/// <summary><c>${secret:NAME}</c>: a config value kept encrypted in the state store (docs/secrets.md).</summary>
public static class SecretReference
{
    /// <summary>What a valid name looks like, for error messages.</summary>
    public const string NameRule = "a secret's name is letters, digits, '_', '-' and '.' (at most 200), starting with a letter or '_'";

    /// <summary>The names <c>sluice secrets set</c> accepts and <c>${secret:NAME}</c> refers to.</summary>
    public static bool IsValidName(string name) =>
        name.Length is > 0 and <= 200
        && (char.IsAsciiLetter(name[0]) || name[0] == '_')
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.');

    /// <summary>The reference to write in the config for <paramref name="name"/>.</summary>
    public static string For(string name) => "${secret:" + name + "}";
}
