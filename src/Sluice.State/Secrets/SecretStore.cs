using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Postgres;

namespace Sluice.State.Secrets;

/// <summary>
/// The secrets kept encrypted in the state store (table <c>secrets</c>, docs/secrets.md): set, list (names and times,
/// never values), remove, read, and re-encrypt all under a new master key. Values are encrypted and decrypted in this
/// process only; the database never sees one in the clear, nor the master key.
/// </summary>
public sealed class SecretStore
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _table;

    /// <summary>The store in a state schema already migrated (<see cref="PostgresStateStore.Secrets"/>).</summary>
    public SecretStore(NpgsqlDataSource dataSource, string schema = "sluice")
        : this(dataSource, new StateSchema(schema))
    {
    }

    internal SecretStore(NpgsqlDataSource dataSource, StateSchema schema)
    {
        _dataSource = dataSource;
        _table = schema.Name + ".secrets";
    }

    /// <summary>Stores <paramref name="value"/> under <paramref name="name"/>, encrypted; true when the name is new.</summary>
    public Task<bool> SetAsync(string name, string value, MasterKey key, CancellationToken ct)
    {
        CheckName(name);
        ArgumentNullException.ThrowIfNull(value);
        var (nonce, ciphertext) = SecretCipher.Encrypt(key, name, value);
        return PostgresCall.RunAsync(PostgresCallContext.StateStore, async () =>
        {
            await using var command = _dataSource.CreateCommand(
                $"""
                INSERT INTO {_table} AS s (name, format, key_id, nonce, ciphertext) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (name) DO UPDATE SET format = excluded.format, key_id = excluded.key_id, nonce = excluded.nonce,
                    ciphertext = excluded.ciphertext, updated_at = now()
                RETURNING s.created_at = s.updated_at
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = name });
            command.Parameters.Add(new NpgsqlParameter { Value = SecretCipher.Format });
            command.Parameters.Add(new NpgsqlParameter { Value = key.Id });
            command.Parameters.Add(new NpgsqlParameter { Value = nonce });
            command.Parameters.Add(new NpgsqlParameter { Value = ciphertext });
            return await command.ExecuteScalarAsync(ct) is true;
        });
    }

    /// <summary>Every secret's name, key id and times, by name.</summary>
    public Task<IReadOnlyList<StoredSecret>> ListAsync(CancellationToken ct) =>
        PostgresCall.RunAsync(PostgresCallContext.StateStore, async () =>
        {
            await using var command = _dataSource.CreateCommand($"SELECT name, key_id, created_at, updated_at FROM {_table} ORDER BY name");
            await using var reader = await command.ExecuteReaderAsync(ct);
            var secrets = new List<StoredSecret>();
            while (await reader.ReadAsync(ct))
            {
                secrets.Add(new StoredSecret(reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetFieldValue<DateTimeOffset>(3)));
            }

            return (IReadOnlyList<StoredSecret>)secrets;
        });

    /// <summary>Deletes the secret; false when there was none by that name.</summary>
    public Task<bool> RemoveAsync(string name, CancellationToken ct) =>
        PostgresCall.RunAsync(PostgresCallContext.StateStore, async () =>
        {
            await using var command = _dataSource.CreateCommand($"DELETE FROM {_table} WHERE name = $1");
            command.Parameters.Add(new NpgsqlParameter { Value = name });
            return await command.ExecuteNonQueryAsync(ct) > 0;
        });

    /// <summary>The secret's value, or null when there is none by that name.</summary>
    public Task<string?> FindAsync(string name, MasterKey key, CancellationToken ct) =>
        PostgresCall.RunAsync(PostgresCallContext.StateStore, async () =>
        {
            await using var command = _dataSource.CreateCommand($"SELECT format, key_id, nonce, ciphertext FROM {_table} WHERE name = $1");
            command.Parameters.Add(new NpgsqlParameter { Value = name });
            await using var reader = await command.ExecuteReaderAsync(ct);
            return await reader.ReadAsync(ct) ? Decrypt(name, reader, key) : null;
        });

    /// <summary>
    /// The same, synchronously: a config value is read by a synchronous getter (<see cref="ISecretResolver"/>).
    /// Null too when the state schema has no secrets table yet (no secret was ever set).
    /// </summary>
    internal string? Find(string name, MasterKey key)
    {
        try
        {
            using var command = _dataSource.CreateCommand($"SELECT format, key_id, nonce, ciphertext FROM {_table} WHERE name = $1");
            command.Parameters.Add(new NpgsqlParameter { Value = name });
            using var reader = command.ExecuteReader();
            return reader.Read() ? Decrypt(name, reader, key) : null;
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName)
        {
            return null;
        }
        catch (Exception e) when (PostgresCall.IsDriverFailure(e))
        {
            throw new ConfigException(null, $"the state database cannot be read: {e.Message}", "check that the state database is up and the state connection's settings");
        }
    }

    /// <summary>
    /// Re-encrypts every secret under <paramref name="newKey"/>, in one transaction (all or none). A secret already under
    /// the new key is left as it is, so a rotation interrupted before its commit is simply run again; one under neither
    /// key is an error that names it, and nothing changes. Returns how many were re-encrypted.
    /// </summary>
    public Task<int> RotateAsync(MasterKey oldKey, MasterKey newKey, CancellationToken ct) =>
        PostgresCall.RunAsync(PostgresCallContext.StateStore, async () =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            var values = new List<(string Name, string Value)>();
            await using (var select = new NpgsqlCommand($"SELECT name, format, key_id, nonce, ciphertext FROM {_table} WHERE key_id <> $1 ORDER BY name FOR UPDATE", connection, transaction))
            {
                select.Parameters.Add(new NpgsqlParameter { Value = newKey.Id });
                await using var reader = await select.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    var name = reader.GetString(0);
                    values.Add((name, Decrypt(name, reader.GetInt32(1), reader.GetString(2), reader.GetFieldValue<byte[]>(3), reader.GetFieldValue<byte[]>(4), oldKey)));
                }
            }

            foreach (var (name, value) in values)
            {
                var (nonce, ciphertext) = SecretCipher.Encrypt(newKey, name, value);
                await using var update = new NpgsqlCommand($"UPDATE {_table} SET format = $2, key_id = $3, nonce = $4, ciphertext = $5, updated_at = now() WHERE name = $1", connection, transaction);
                update.Parameters.Add(new NpgsqlParameter { Value = name });
                update.Parameters.Add(new NpgsqlParameter { Value = SecretCipher.Format });
                update.Parameters.Add(new NpgsqlParameter { Value = newKey.Id });
                update.Parameters.Add(new NpgsqlParameter { Value = nonce });
                update.Parameters.Add(new NpgsqlParameter { Value = ciphertext });
                await update.ExecuteNonQueryAsync(ct);
            }

            await transaction.CommitAsync(ct);
            return values.Count;
        });

    private static string Decrypt(string name, NpgsqlDataReader reader, MasterKey key) =>
        Decrypt(name, reader.GetInt32(0), reader.GetString(1), reader.GetFieldValue<byte[]>(2), reader.GetFieldValue<byte[]>(3), key);

    private static string Decrypt(string name, int format, string keyId, byte[] nonce, byte[] ciphertext, MasterKey key)
    {
        if (format != SecretCipher.Format)
        {
            throw Core.Errors.SluiceException.Fatal($"secret '{name}' is stored in format {format}, which this version of Sluice does not know; upgrade Sluice");
        }

        if (keyId != key.Id)
        {
            throw new ConfigException(
                null,
                $"secret '{name}' is encrypted under master key {keyId}, but the master key given is {key.Id}",
                "give the master key the secrets were stored with (after `sluice secrets rotate-key`, the new one)");
        }

        return SecretCipher.Decrypt(key, name, nonce, ciphertext);
    }

    private static void CheckName(string name)
    {
        if (!SecretReference.IsValidName(name))
        {
            throw new ConfigException(null, $"'{name}' is not a valid secret name", SecretReference.NameRule);
        }
    }
}
