using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;

namespace Sluice.State.Secrets;

/// <summary>
/// Credentials a connection's system rotates (a Salesforce refresh token), kept among the state store's secrets as
/// <c>connection.&lt;connection&gt;.&lt;name&gt;</c>: encrypted under the master key like every secret, listed by
/// <c>sluice secrets list</c> (names only), re-encrypted by <c>sluice secrets rotate-key</c>. Without a master key
/// nothing is found, and saving is an error that says how to give one.
/// </summary>
public sealed class StateConnectionCredentials : IConnectionCredentials
{
    private readonly Func<CancellationToken, Task<NpgsqlDataSource>> _dataSource;
    private readonly string _schema;
    private readonly Lazy<MasterKey?> _key;

    /// <param name="dataSource">The state database, migrated; asked for on first use.</param>
    /// <param name="schema">The state schema.</param>
    /// <param name="masterKey">The master key, or null when none is given; called once, on first use.</param>
    public StateConnectionCredentials(Func<CancellationToken, Task<NpgsqlDataSource>> dataSource, string schema, Func<MasterKey?> masterKey)
    {
        _dataSource = dataSource;
        _schema = schema;
        _key = new Lazy<MasterKey?>(masterKey);
    }

    /// <summary>The secret's name for a connection's credential.</summary>
    public static string SecretName(string connection, string name) => $"connection.{connection}.{name}";

    public async Task<string?> FindAsync(string connection, string name, CancellationToken ct) =>
        _key.Value is { } key ? await new SecretStore(await _dataSource(ct), _schema).FindAsync(SecretName(connection, name), key, ct) : null;

    public async Task SaveAsync(string connection, string name, string value, CancellationToken ct)
    {
        var key = _key.Value ?? throw new ConfigException(
            null,
            $"connection '{connection}': its {name.Replace('_', ' ')} was rotated and must be kept, encrypted, for the next start, but no master key is given",
            MasterKey.Fix);
        await new SecretStore(await _dataSource(ct), _schema).SetAsync(SecretName(connection, name), value, key, ct);
    }
}
