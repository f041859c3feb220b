using System.Runtime.CompilerServices;
using Npgsql;
using Sluice.Core.Checkpoints;
using Sluice.Core.State;

namespace Sluice.Postgres.State;

/// <summary>
/// A sync's stored checkpoint and fingerprints, read with plain SELECTs. Unlike
/// <see cref="PostgresStateStore.TryAcquireAsync"/> it neither registers the sync nor takes its run lock, so
/// looking never blocks a run, and a state schema that was never migrated reads as empty instead of being created.
/// </summary>
public sealed class PostgresSyncStateView(NpgsqlDataSource dataSource, string schema = "sluice") : ISyncStateView
{
    private readonly NpgsqlDataSource _dataSource = dataSource;
    private readonly StateSchema _schema = new(schema);

    public Task<Checkpoint?> LoadCheckpointAsync(string syncName, CancellationToken ct) =>
        StateErrors.GuardAsync(async () =>
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

    /// <summary>The sync's id, or <c>null</c> when the store has no such sync (or no state tables yet).</summary>
    private async Task<long?> SyncIdAsync(string syncName, CancellationToken ct)
    {
        await using (var exists = _dataSource.CreateCommand("SELECT to_regclass($1) IS NOT NULL"))
        {
            exists.Parameters.Add(new NpgsqlParameter { Value = $"{_schema.Name}.syncs" });
            if (await exists.ExecuteScalarAsync(ct) is not true)
            {
                return null;
            }
        }

        await using var command = _dataSource.CreateCommand($"SELECT id FROM {_schema.Name}.syncs WHERE name = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = syncName });
        return await command.ExecuteScalarAsync(ct) is long id ? id : null;
    }

    private sealed class Reader(PostgresSyncStateView view, string syncName) : IRecordStateReader
    {
        public async IAsyncEnumerable<RecordState> ReadAsync([EnumeratorCancellation] CancellationToken ct)
        {
            if (await StateErrors.GuardAsync(() => view.SyncIdAsync(syncName, ct)) is not { } syncId)
            {
                yield break;
            }

            await foreach (var state in new PostgresRecordStateReader(view._dataSource, view._schema, syncId).ReadAsync(ct))
            {
                yield return state;
            }
        }
    }
}
