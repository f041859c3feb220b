namespace Sluice.Core.Configuration;

/// <summary>
/// Where <c>${secret:NAME}</c> in the config is looked up: the secrets kept encrypted in the state store
/// (<c>sluice secrets set NAME</c>, docs/secrets.md). Attached to a loaded config by the host that opens the state
/// store (<see cref="SluiceConfig.UseSecrets"/>); a value is looked up when its key is read, not when the file loads.
/// </summary>
public interface ISecretResolver
{
    /// <summary>
    /// The secret's value, or null when no secret has that name. Throws a <see cref="ConfigException"/> (without a
    /// location: the caller adds the key's) when the store cannot be read, e.g. no master key is given.
    /// </summary>
    string? Find(string name);
}
