using Npgsql;
using Sluice.Core.State;

namespace Sluice.Postgres.State;

/// <summary>
/// Sluice's state in a PostgreSQL schema (default <c>sluice</c>): checkpoints, the send ledger, runs,
/// dead letters. Processes sharing the schema coordinate through it: one run per sync at a time
/// (a session advisory lock), checkpoints guarded by a generation number.
/// </summary>
public sealed class PostgresStateStore : ISyncStateStore
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly StateSchema _schema;

    private PostgresStateStore(NpgsqlDataSource dataSource, StateSchema schema)
    {
        _dataSource = dataSource;
        _schema = schema;
    }

    /// <summary>Opens the store, applying any migration it lacks (safe when several processes start at once).</summary>
    public static async Task<PostgresStateStore> OpenAsync(NpgsqlDataSource dataSource, string schema = "sluice", CancellationToken ct = default)
    {
        var stateSchema = new StateSchema(schema);
        try
        {
            await Migrator.MigrateAsync(dataSource, stateSchema, ct);
        }
        catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            throw PostgresErrors.Translate(e, $"state database (schema {schema})");
        }

        return new PostgresStateStore(dataSource, stateSchema);
    }

    public async Task<ISyncLease?> TryAcquireAsync(string syncName, CancellationToken ct)
    {
        var syncId = await RegisterAsync(syncName, ct);
        var connection = await _dataSource.OpenConnectionAsync(ct);
        try
        {
            await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock($1)", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = _schema.LockKey(syncId) });
            if (await command.ExecuteScalarAsync(ct) is true)
            {
                return new PostgresSyncLease(_dataSource, _schema, connection, syncName, syncId);
            }
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        await connection.DisposeAsync();
        return null;
    }

    /// <summary>The id of a sync, registering its name on first use.</summary>
    private async Task<long> RegisterAsync(string syncName, CancellationToken ct)
    {
        await using var command = _dataSource.CreateCommand(
            $"""
            WITH inserted AS (
                INSERT INTO {_schema.Name}.syncs (name) VALUES ($1) ON CONFLICT (name) DO NOTHING RETURNING id
            )
            SELECT id FROM inserted UNION ALL SELECT id FROM {_schema.Name}.syncs WHERE name = $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = syncName });
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }
}
