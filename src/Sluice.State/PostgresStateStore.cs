using Npgsql;
using Sluice.Core.State;
using Sluice.Postgres;

namespace Sluice.State;

/// <summary>
/// Sluice's state in a PostgreSQL schema (default <c>sluice</c>): checkpoints, the send ledger, runs,
/// dead letters. Processes sharing the schema coordinate through it: one run per sync at a time
/// (a session advisory lock), checkpoints guarded by a generation number.
/// </summary>
public sealed class PostgresStateStore : ISyncStateStore
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly StateSchema _schema;

    /// <summary>A store on a schema already migrated (<see cref="OpenAsync"/> migrates).</summary>
    internal PostgresStateStore(NpgsqlDataSource dataSource, StateSchema schema)
    {
        _dataSource = dataSource;
        _schema = schema;
    }

    /// <summary>Opens the store, applying any migration it lacks (safe when several processes start at once).</summary>
    public static async Task<PostgresStateStore> OpenAsync(NpgsqlDataSource dataSource, string schema = "sluice", CancellationToken ct = default)
    {
        var stateSchema = new StateSchema(schema);
        await PostgresCall.RunAsync(PostgresCallContext.StateStoreIn(schema), () => Migrator.MigrateAsync(dataSource, stateSchema, ct));

        return new PostgresStateStore(dataSource, stateSchema);
    }

    /// <summary>
    /// How many of this build's migrations <paramref name="schema"/> lacks (0: ready), read without migrating: a readiness
    /// probe (<c>/readyz</c>). Throws what the driver throws when the database cannot be reached.
    /// </summary>
    public static Task<int> PendingMigrationsAsync(NpgsqlDataSource dataSource, string schema, CancellationToken ct) =>
        Migrator.PendingAsync(dataSource, new StateSchema(schema), ct);

    /// <summary>The dead-letter queue (<c>sluice dlq</c>).</summary>
    public DeadLetterQueue DeadLetters => new(_dataSource, _schema);

    /// <summary>Applies <c>state.retention:</c> (<c>sluice prune</c>, and periodically under <c>sluice run</c>).</summary>
    public Retention.StateRetentionPruner Retention(Core.Configuration.StateRetention retention, TimeProvider time) =>
        new(_dataSource, _schema, retention, time);

    /// <summary>The secrets kept encrypted in the state store (<c>sluice secrets</c>).</summary>
    public Secrets.SecretStore Secrets => new(_dataSource, _schema);

    /// <summary>The quarantine of <c>validate:</c> rules (<c>sluice quarantine</c>).</summary>
    public QuarantineStore Quarantine => new(_dataSource, _schema);

    public Task<ISyncLease?> TryAcquireAsync(string syncName, CancellationToken ct) =>
        PostgresCall.RunAsync(PostgresCallContext.StateStore, () => TryAcquireCoreAsync(syncName, ct));

    private async Task<ISyncLease?> TryAcquireCoreAsync(string syncName, CancellationToken ct)
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

    /// <summary>
    /// Every known sync with its last run, for the dashboard and status commands: the one status query, shared with
    /// <c>sluice status</c> and <c>/metrics</c> (<see cref="PostgresSyncStateView.StatusAsync"/>).
    /// </summary>
    public Task<IReadOnlyList<SyncStatus>> StatusAsync(CancellationToken ct) =>
        new PostgresSyncStateView(_dataSource, _schema).StatusOfOpenStoreAsync(ct);

    /// <summary>
    /// Whether a run of the sync that read its source (incremental or full, not a backfill or a replay) has ever
    /// succeeded: what <c>schedule: once</c> asks before starting it, so that a restart does not run it again.
    /// </summary>
    public Task<bool> HasSucceededAsync(string syncName, CancellationToken ct) =>
        PostgresCall.RunAsync(PostgresCallContext.StateStore, async () =>
        {
            await using var command = _dataSource.CreateCommand(
                $"""
                SELECT EXISTS (
                    SELECT 1 FROM {_schema.Name}.runs r JOIN {_schema.Name}.syncs s ON s.id = r.sync_id
                    WHERE s.name = $1 AND r.status = 'succeeded' AND r.kind IN ('incremental', 'full'))
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = syncName });
            return await command.ExecuteScalarAsync(ct) is true;
        });

    /// <summary>A sync's checkpoint, the run that wrote it and the sync's latest run; <c>null</c> for a sync the store never saw.</summary>
    public Task<CheckpointStatus?> CheckpointStatusAsync(string syncName, CancellationToken ct) =>
        PostgresCall.RunAsync(PostgresCallContext.StateStore, () => CheckpointStatusCoreAsync(syncName, ct));

    private async Task<CheckpointStatus?> CheckpointStatusCoreAsync(string syncName, CancellationToken ct)
    {
        await using var command = _dataSource.CreateCommand(
            $"""
            SELECT c.format, c.version, c.value, c.run_id, cr.status, c.updated_at, l.id, l.status, l.error
            FROM {_schema.Name}.syncs s
            LEFT JOIN {_schema.Name}.checkpoints c ON c.sync_id = s.id
            LEFT JOIN {_schema.Name}.runs cr ON cr.id = c.run_id
            LEFT JOIN LATERAL (SELECT id, status, error FROM {_schema.Name}.runs r WHERE r.sync_id = s.id ORDER BY r.id DESC LIMIT 1) l ON true
            WHERE s.name = $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = syncName });
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }

        return new CheckpointStatus(
            reader.IsDBNull(0) ? null : new Core.Checkpoints.Checkpoint(reader.GetString(0), reader.GetInt32(1), reader.GetString(2)),
            reader.IsDBNull(3) ? null : reader.GetInt64(3),
            reader.IsDBNull(4) ? null : reader.GetString(4),
            reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
            reader.IsDBNull(6) ? null : reader.GetInt64(6),
            reader.IsDBNull(7) ? null : reader.GetString(7),
            reader.IsDBNull(8) ? null : StoredText.Read(reader.GetString(8)));
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
