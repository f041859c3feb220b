using System.Runtime.CompilerServices;
using Npgsql;
using Sluice.Core.Checkpoints;
using Sluice.Core.State;
using Sluice.Postgres;

namespace Sluice.State;

/// <summary>
/// A sync's stored checkpoint and fingerprints, read with plain SELECTs. Unlike
/// <see cref="PostgresStateStore.TryAcquireAsync"/> it neither registers the sync nor takes its run lock, so
/// looking never blocks a run, and a state schema that was never migrated reads as empty instead of being created.
/// </summary>
public sealed class PostgresSyncStateView : ISyncStateView
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly StateSchema _schema;

    public PostgresSyncStateView(NpgsqlDataSource dataSource, string schema = "sluice")
        : this(dataSource, new StateSchema(schema))
    {
    }

    internal PostgresSyncStateView(NpgsqlDataSource dataSource, StateSchema schema)
    {
        _dataSource = dataSource;
        _schema = schema;
    }

    public Task<Checkpoint?> LoadCheckpointAsync(string syncName, CancellationToken ct) =>
        PostgresCall.RunAsync(PostgresCallContext.StateStore, async () =>
        {
            if (await SyncIdAsync(syncName, ct) is not { } syncId)
            {
                return null;
            }

            await using var command = _dataSource.CreateCommand($"SELECT format, version, value FROM {_schema.Name}.checkpoints WHERE sync_id = $1");
            command.Parameters.Add(new NpgsqlParameter { Value = syncId });
            await using var reader = await command.ExecuteReaderAsync(ct);
            return await reader.ReadAsync(ct) ? new Checkpoint(reader.GetString(0), reader.GetInt32(1), reader.GetString(2)) : null;
        });

    public IRecordStateReader RecordStates(string syncName) => new Reader(this, syncName);

    /// <summary>
    /// Every sync the store knows, with its last run (and its error), its pending dead letters and its failed runs,
    /// for <c>sluice status</c> and <c>/metrics</c>. Empty when the store was never migrated.
    /// </summary>
    public Task<IReadOnlyList<SyncStatus>> StatusAsync(CancellationToken ct) =>
        PostgresCall.RunAsync(PostgresCallContext.StateStore, async () => await HasTablesAsync(ct) ? await ReadStatusAsync(ct) : []);

    /// <summary>
    /// <see cref="StatusAsync"/> of a store that must exist: a running server's store was migrated when it opened, so
    /// its tables missing is a fault to report, not an empty store.
    /// </summary>
    internal Task<IReadOnlyList<SyncStatus>> StatusOfOpenStoreAsync(CancellationToken ct) =>
        PostgresCall.RunAsync(PostgresCallContext.StateStore, () => ReadStatusAsync(ct));

    private async Task<IReadOnlyList<SyncStatus>> ReadStatusAsync(CancellationToken ct)
    {
        var result = new List<SyncStatus>();
        await using var command = _dataSource.CreateCommand(
            $"""
                SELECT s.name, r.id, r.kind, r.status, r.started_at, r.finished_at,
                       coalesce(r.records_read, 0), coalesce(r.acknowledged, 0), coalesce(r.rejected, 0), r.error,
                       c.updated_at,
                       (SELECT count(*) FROM {_schema.Name}.dead_letters d WHERE d.sync_id = s.id AND d.replayed_at IS NULL),
                       (SELECT coalesce(sum(acknowledged), 0)::bigint FROM {_schema.Name}.runs a WHERE a.sync_id = s.id)
                           + coalesce((SELECT pw.pruned_runs_acknowledged FROM {_schema.Name}.retention_watermarks pw WHERE pw.sync_id = s.id), 0),
                       (SELECT count(*) FROM {_schema.Name}.runs f WHERE f.sync_id = s.id AND f.status = 'failed')
                           + coalesce((SELECT pw.pruned_runs_failed FROM {_schema.Name}.retention_watermarks pw WHERE pw.sync_id = s.id), 0),
                       (SELECT count(*) FROM {_schema.Name}.dead_letters w WHERE w.sync_id = s.id AND w.kind = 'waiting' AND w.replayed_at IS NULL),
                       (SELECT count(*) FROM {_schema.Name}.dead_letters q WHERE q.sync_id = s.id AND q.kind = 'quarantined' AND q.replayed_at IS NULL),
                       (SELECT count(*) FROM {_schema.Name}.dead_letters n WHERE n.sync_id = s.id AND n.run_id = r.id AND n.kind NOT IN ('waiting', 'quarantined') AND n.replayed_at IS NULL),
                       (SELECT count(*) FROM {_schema.Name}.record_state k WHERE k.sync_id = s.id AND k.run_id = r.id AND k.skip_reason IS NOT NULL),
                       p.status = 'failed', p.error
                FROM {_schema.Name}.syncs s
                LEFT JOIN LATERAL (SELECT * FROM {_schema.Name}.runs r WHERE r.sync_id = s.id ORDER BY r.id DESC LIMIT 1) r ON true
                LEFT JOIN LATERAL (
                    SELECT f.status, f.error FROM {_schema.Name}.runs f
                    WHERE f.sync_id = s.id AND f.id < r.id AND f.status <> 'running' ORDER BY f.id DESC LIMIT 1) p ON r.status = 'running'
                LEFT JOIN {_schema.Name}.checkpoints c ON c.sync_id = s.id
                ORDER BY s.name
                """);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            result.Add(new SyncStatus(
                reader.GetString(0),
                reader.IsDBNull(1) ? null : reader.GetInt64(1),
                reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4),
                reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
                reader.GetInt64(6),
                reader.GetInt64(7),
                reader.GetInt64(8),
                reader.IsDBNull(9) ? null : StoredText.Read(reader.GetString(9)),
                reader.IsDBNull(10) ? null : reader.GetFieldValue<DateTimeOffset>(10),
                reader.GetInt64(11),
                reader.GetInt64(12))
            {
                FailedRuns = reader.GetInt64(13),
                Waiting = reader.GetInt64(14),
                Quarantined = reader.GetInt64(15),
                LastRunDeadLetters = reader.GetInt64(16),
                LastRunSkipped = reader.GetInt64(17),
                FailureBeforeRunning = !reader.IsDBNull(18) && reader.GetBoolean(18)
                    ? (reader.IsDBNull(19) ? "no error recorded" : StoredText.Read(reader.GetString(19)))
                    : null,
            });
        }

        return result;
    }

    private async Task<bool> HasTablesAsync(CancellationToken ct)
    {
        await using var exists = _dataSource.CreateCommand("SELECT to_regclass($1) IS NOT NULL");
        exists.Parameters.Add(new NpgsqlParameter { Value = $"{_schema.Name}.syncs" });
        return await exists.ExecuteScalarAsync(ct) is true;
    }

    /// <summary>The sync's id, or <c>null</c> when the store has no such sync (or no state tables yet).</summary>
    private async Task<long?> SyncIdAsync(string syncName, CancellationToken ct)
    {
        if (!await HasTablesAsync(ct))
        {
            return null;
        }

        await using var command = _dataSource.CreateCommand($"SELECT id FROM {_schema.Name}.syncs WHERE name = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = syncName });
        return await command.ExecuteScalarAsync(ct) is long id ? id : null;
    }

    private sealed class Reader(PostgresSyncStateView view, string syncName) : IRecordStateReader
    {
        public async IAsyncEnumerable<RecordState> ReadAsync([EnumeratorCancellation] CancellationToken ct)
        {
            if (await PostgresCall.RunAsync(PostgresCallContext.StateStore, () => view.SyncIdAsync(syncName, ct)) is not { } syncId)
            {
                yield break;
            }

            await foreach (var state in new PostgresRecordStateReader(view._dataSource, view._schema, syncId).ReadAsync(ct))
            {
                yield return state;
            }
        }

        public async IAsyncEnumerable<string> KeysAsync([EnumeratorCancellation] CancellationToken ct)
        {
            if (await PostgresCall.RunAsync(PostgresCallContext.StateStore, () => view.SyncIdAsync(syncName, ct)) is not { } syncId)
            {
                yield break;
            }

            await foreach (var key in new PostgresRecordStateReader(view._dataSource, view._schema, syncId).KeysAsync(ct))
            {
                yield return key;
            }
        }

        public async Task<bool> ReadKeysAsync(StoredKeyVisitor visit, CancellationToken ct) =>
            await PostgresCall.RunAsync(PostgresCallContext.StateStore, () => view.SyncIdAsync(syncName, ct)) is not { } syncId
            || await new PostgresRecordStateReader(view._dataSource, view._schema, syncId).ReadKeysAsync(visit, ct);

        public async Task<IReadOnlyDictionary<string, RecordState>> FindAsync(IReadOnlyList<string> keys, CancellationToken ct) =>
            await PostgresCall.RunAsync(PostgresCallContext.StateStore, () => view.SyncIdAsync(syncName, ct)) is { } syncId
                ? await new PostgresRecordStateReader(view._dataSource, view._schema, syncId).FindAsync(keys, ct)
                : new Dictionary<string, RecordState>();

        /// <summary>Look-ups by key for a dry run's diff; a sync the store has never seen has nothing stored.</summary>
        public async Task<IDiffLookup> OpenLookupAsync(CancellationToken ct) =>
            await PostgresDiffLookup.OpenAsync(view._dataSource, view._schema, await PostgresCall.RunAsync(PostgresCallContext.StateStore, () => view.SyncIdAsync(syncName, ct)), ct);
    }
}
