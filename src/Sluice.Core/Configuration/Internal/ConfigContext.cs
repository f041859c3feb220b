using YamlDotNet.Core;

namespace Sluice.Core.Configuration.Internal;

/// <summary>What every section of one file shares: the file's display name and where <c>${VAR}</c> and <c>${secret:NAME}</c> are looked up.</summary>
internal sealed class ConfigContext(string file, Func<string, string?> lookupVariable)
{
    public string File { get; } = file;

    public Func<string, string?> LookupVariable { get; } = lookupVariable;

    /// <summary>Where <c>${secret:NAME}</c> is looked up; null until a host opens the state store (<see cref="SluiceConfig.UseSecrets"/>).</summary>
    public ISecretResolver? Secrets { get; set; }

    public static ConfigContext For(string file, IReadOnlyDictionary<string, string>? environment) =>
        new(file, environment is null
            ? Environment.GetEnvironmentVariable
            : name => environment.TryGetValue(name, out var value) ? value : null);

    public ConfigLocation At(Mark mark, string keyPath) =>
        new(File, checked((int)mark.Line), checked((int)mark.Column), keyPath);
}
