using Npgsql;
using NpgsqlTypes;
using Sluice.Postgres;
using Sluice.State;

namespace Sluice.State.Ingest;

/// <summary>
/// One sync's standing in the ingest queue, for <c>sluice status</c>, <c>/metrics</c> and the dashboard: the events of
/// its source it has not read yet, and the events retention deleted before it read them (lost, only ever by
/// <c>max_backlog</c>).
/// </summary>
/// <param name="Sync">The sync's name.</param>
/// <param name="Source">The ingest source (connection) it reads.</param>
/// <param name="Events">Events queued after its checkpoint: not read yet.</param>
/// <param name="OldestReceivedAt">When the oldest of them was received; null when there are none.</param>
/// <param name="Lost">Events of the source deleted before this sync had read them, over all time.</param>
/// <param name="LastLostAt">When the last of them was deleted; null when none ever was.</param>
public sealed record IngestBacklog(string Sync, string Source, long Events, DateTimeOffset? OldestReceivedAt, long Lost, DateTimeOffset? LastLostAt)
{
    /// <summary>
    /// The backlog of each (sync, source) pair. Plain SELECTs: a state store that was never migrated (or not yet to the
    /// version that counts losses) reads as empty rather than being created. Counting the backlog reads every unread
    /// event's index entry, so it costs as much as the backlog is long.
    /// </summary>
    public static Task<IReadOnlyList<IngestBacklog>> ReadAsync(
        NpgsqlDataSource state, string schema, IReadOnlyList<(string Sync, string Source)> readers, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(readers);
        return PostgresCall.RunAsync(PostgresCallContext.StateStore, () => ReadCoreAsync(state, new StateSchema(schema), readers, ct));
    }

    private static async Task<IReadOnlyList<IngestBacklog>> ReadCoreAsync(
        NpgsqlDataSource state, StateSchema schema, IReadOnlyList<(string Sync, string Source)> readers, CancellationToken ct)
    {
        var result = new List<IngestBacklog>();
        if (readers.Count == 0)
        {
            return result;
        }

        bool hasQueue, hasLosses;
        await using (var exists = state.CreateCommand("SELECT to_regclass($1) IS NOT NULL, to_regclass($2) IS NOT NULL"))
        {
            exists.Parameters.Add(new NpgsqlParameter { Value = $"{schema.Name}.ingest_queue" });
            exists.Parameters.Add(new NpgsqlParameter { Value = $"{schema.Name}.ingest_losses" });
            await using var reader = await exists.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            hasQueue = reader.GetBoolean(0);
            hasLosses = reader.GetBoolean(1);
        }

        if (!hasQueue)
        {
            return [.. readers.Select(r => new IngestBacklog(r.Sync, r.Source, 0, null, 0, null))];
        }

        var positions = await IngestReaderPositions.ReadAsync(state, schema, readers.Select(r => r.Sync), ct);
        var losses = hasLosses ? await LossesAsync(state, schema, ct) : [];
        foreach (var (sync, source) in readers)
        {
            var position = positions[sync];
            await using var command = state.CreateCommand(
                $"SELECT count(*), min(received_at) FROM {schema.Name}.ingest_queue WHERE source = $1 AND (xid, position) > ($2, $3)");
            command.Parameters.Add(new NpgsqlParameter { Value = source });
            command.Parameters.Add(new NpgsqlParameter { Value = position.Xid, NpgsqlDbType = NpgsqlDbType.Xid8 });
            command.Parameters.Add(new NpgsqlParameter { Value = position.Position });
            await using var reader = await command.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            var lost = losses.GetValueOrDefault((source, sync));
            result.Add(new IngestBacklog(
                sync,
                source,
                reader.GetInt64(0),
                reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1),
                lost.Events,
                lost.LastLostAt));
        }

        return result;
    }

    private static async Task<Dictionary<(string Source, string Sync), (long Events, DateTimeOffset? LastLostAt)>> LossesAsync(
        NpgsqlDataSource state, StateSchema schema, CancellationToken ct)
    {
        var losses = new Dictionary<(string, string), (long, DateTimeOffset?)>();
        await using var command = state.CreateCommand($"SELECT source, sync, events, last_lost_at FROM {schema.Name}.ingest_losses");
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            losses[(reader.GetString(0), reader.GetString(1))] = (reader.GetInt64(2), reader.GetFieldValue<DateTimeOffset>(3));
        }

        return losses;
    }
}
