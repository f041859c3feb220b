using Npgsql;
using Sluice.Postgres;

namespace Sluice.State;

/// <summary>
/// What the state store knows of a sync's progress, for status and metrics: its last run, its last success, when
/// its checkpoint last moved, and how many records it has delivered. Read with plain SELECTs: a store that was never
/// migrated reads as empty rather than being created.
/// </summary>
/// <param name="LastSuccessAt">When the sync last delivered: the later of its last succeeded run's end and its last checkpoint commit (a streaming run commits without ending).</param>
public sealed record SlotHealthSyncProgress(
    string Sync,
    string? LastRunStatus,
    DateTimeOffset? LastRunStarted,
    DateTimeOffset? LastRunFinished,
    DateTimeOffset? LastSuccessAt,
    DateTimeOffset? CheckpointUpdatedAt,
    string? Checkpoint,
    long RecordsTotal)
{
    /// <summary>Every sync the store at <paramref name="schema"/> knows, by name.</summary>
    public static async Task<IReadOnlyDictionary<string, SlotHealthSyncProgress>> ReadAsync(NpgsqlDataSource state, string schema, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(state);
        var stateSchema = new StateSchema(schema);
        var result = new Dictionary<string, SlotHealthSyncProgress>(StringComparer.Ordinal);
        try
        {
            await using (var exists = state.CreateCommand("SELECT to_regclass($1) IS NOT NULL"))
            {
                exists.Parameters.Add(new NpgsqlParameter { Value = $"{stateSchema.Name}.syncs" });
                if (await exists.ExecuteScalarAsync(ct) is not true)
                {
                    return result;
                }
            }

            await using var command = state.CreateCommand(
                $"""
                SELECT s.name, r.status, r.started_at, r.finished_at,
                       greatest((SELECT max(ok.finished_at) FROM {stateSchema.Name}.runs ok WHERE ok.sync_id = s.id AND ok.status = 'succeeded'), c.updated_at),
                       c.updated_at, c.format || '/v' || c.version || ':' || c.value,
                       (SELECT coalesce(sum(a.acknowledged), 0)::bigint FROM {stateSchema.Name}.runs a WHERE a.sync_id = s.id)
                           + coalesce((SELECT pw.pruned_runs_acknowledged FROM {stateSchema.Name}.retention_watermarks pw WHERE pw.sync_id = s.id), 0)
                FROM {stateSchema.Name}.syncs s
                LEFT JOIN LATERAL (SELECT * FROM {stateSchema.Name}.runs r WHERE r.sync_id = s.id ORDER BY r.id DESC LIMIT 1) r ON true
                LEFT JOIN {stateSchema.Name}.checkpoints c ON c.sync_id = s.id
                """);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var progress = new SlotHealthSyncProgress(
                    reader.GetString(0),
                    reader.IsDBNull(1) ? null : reader.GetString(1),
                    reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2),
                    reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3),
                    reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4),
                    reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
                    reader.IsDBNull(6) ? null : reader.GetString(6),
                    reader.GetInt64(7));
                result[progress.Sync] = progress;
            }
        }
        catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            throw PostgresErrors.Translate(e, $"state database (schema {schema})");
        }

        return result;
    }
}
