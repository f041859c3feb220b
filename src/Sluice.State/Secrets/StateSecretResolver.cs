using Npgsql;
using Sluice.Core.Configuration;

namespace Sluice.State.Secrets;

/// <summary>
/// Looks <c>${secret:NAME}</c> up in the state store's secrets, decrypted with the master key from the environment or
/// <c>state.master_key_file</c>. Nothing is read until a key holding a reference is: the master key is loaded on the
/// first lookup, and each value is decrypted once per process.
/// </summary>
public sealed class StateSecretResolver : ISecretResolver
{
    private readonly Func<NpgsqlDataSource> _dataSource;
    private readonly string _schema;
    private readonly Func<MasterKey> _masterKey;
    private readonly Dictionary<string, string?> _found = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private MasterKey? _key;
    private bool _resolving;

    /// <param name="dataSource">The state database; asked for on the first lookup.</param>
    /// <param name="schema">The state schema.</param>
    /// <param name="masterKey">Loads the master key (an error when none is given); called on the first lookup.</param>
    public StateSecretResolver(Func<NpgsqlDataSource> dataSource, string schema, Func<MasterKey> masterKey)
    {
        _dataSource = dataSource;
        _schema = schema;
        _masterKey = masterKey;
    }

    /// <summary>The resolver for a loaded config: its state schema and <c>state.master_key_file</c>.</summary>
    public static StateSecretResolver For(SluiceConfig config, Func<NpgsqlDataSource> dataSource)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new StateSecretResolver(dataSource, config.State.Schema, () => MasterKey.Require(config.State.MasterKeyFile));
    }

    public string? Find(string name)
    {
        lock (_gate)
        {
            if (_found.TryGetValue(name, out var known))
            {
                return known;
            }

            if (_resolving)
            {
                // Opening the state database read a key that refers to a secret: the secrets live in that database.
                throw new ConfigException(
                    null,
                    "the state connection cannot take a value from ${secret:…}: the secrets are kept in the state database itself",
                    "give the state connection's password or URL from an environment variable, ${VAR}");
            }

            _resolving = true;
            try
            {
                _key ??= _masterKey();
                var value = new SecretStore(_dataSource(), _schema).Find(name, _key);
                _found[name] = value;
                return value;
            }
            finally
            {
                _resolving = false;
            }
        }
    }
}
