using Npgsql;
using NpgsqlTypes;
using Sluice.Postgres;

namespace Sluice.State.Ingest;

/// <summary>
/// The last events the ingest sources accepted, newest first, each with its landing status for every sync reading its
/// source (the dashboard's live view, like Segment's debugger). Costs a few indexed queries however long the queue:
/// each source's newest rows by <c>ingest_queue_by_source</c> walked backwards, each sync's checkpoint, and the dead
/// letters of the shown events by key (<c>dead_letters_by_key</c>).
/// </summary>
public static class RecentIngestEvents
{
    /// <summary>A payload longer than this is cut: the page shows events, not megabytes.</summary>
    public const int PayloadLimit = 4_000;

    /// <param name="readers">Every sync reading an ingest source, with the source (connection) it reads.</param>
    /// <param name="sources">Every ingest source, read or not.</param>
    public static Task<IReadOnlyList<IngestedEvent>> ReadAsync(
        NpgsqlDataSource state, string schema, IReadOnlyCollection<string> sources, IReadOnlyList<(string Sync, string Source)> readers, int limit, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(readers);
        return PostgresCall.RunAsync(PostgresCallContext.StateStore, () => ReadCoreAsync(state, new StateSchema(schema), sources, readers, limit, ct));
    }

    private static async Task<IReadOnlyList<IngestedEvent>> ReadCoreAsync(
        NpgsqlDataSource state, StateSchema schema, IReadOnlyCollection<string> sources, IReadOnlyList<(string Sync, string Source)> readers, int limit, CancellationToken ct)
    {
        await using (var exists = state.CreateCommand("SELECT to_regclass($1) IS NOT NULL"))
        {
            exists.Parameters.Add(new NpgsqlParameter { Value = $"{schema.Name}.ingest_queue" });
            if (sources.Count == 0 || await exists.ExecuteScalarAsync(ct) is not true)
            {
                return [];
            }
        }

        var rows = new List<(ulong Xid, long Position, string Source, Guid EventId, string Type, string? Event, DateTimeOffset ReceivedAt, string Payload)>();
        foreach (var source in sources)
        {
            await using var command = state.CreateCommand(
                $"""
                SELECT xid, position, event_id, type, event, received_at, left(convert_from(payload, 'UTF8'), {PayloadLimit})
                FROM {schema.Name}.ingest_queue WHERE source = $1
                ORDER BY xid DESC, position DESC LIMIT $2
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = source });
            command.Parameters.Add(new NpgsqlParameter { Value = limit });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                rows.Add((reader.GetFieldValue<ulong>(0), reader.GetInt64(1), source, reader.GetGuid(2), reader.GetString(3),
                    reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetFieldValue<DateTimeOffset>(5), reader.GetString(6)));
            }
        }

        rows = [.. rows.OrderByDescending(r => r.ReceivedAt).ThenByDescending(r => r.Position).Take(limit)];
        var positions = await IngestReaderPositions.ReadAsync(state, schema, readers.Select(r => r.Sync), ct);
        var letters = await LettersAsync(state, schema, readers.Select(r => r.Sync).Distinct().ToArray(), rows.Select(r => StoredText.Store(r.EventId.ToString())).ToArray(), ct);
        return [.. rows.Select(r => new IngestedEvent(r.Source, r.EventId, r.Type, r.Event, r.ReceivedAt, r.Payload,
            [.. readers.Where(x => x.Source == r.Source).Select(x =>
            {
                if (letters.TryGetValue((x.Sync, r.EventId.ToString()), out var letter))
                {
                    return new IngestLanding(x.Sync, letter.Kind == "quarantined" ? "quarantined" : letter.Pending ? "dead-lettered" : "sent", letter.Reason);
                }

                var read = IngestReaderPositions.Compare(new IngestQueuePosition(r.Xid, r.Position), positions[x.Sync]) <= 0;
                return new IngestLanding(x.Sync, read ? "sent" : "waiting", read ? null : "not read by the sync yet");
            })]))];
    }

    /// <summary>The latest dead letter of each shown event, per sync: its kind, whether it is still held, its reason.</summary>
    private static async Task<Dictionary<(string Sync, string Key), (string Kind, bool Pending, string Reason)>> LettersAsync(
        NpgsqlDataSource state, StateSchema schema, string[] syncs, string[] keys, CancellationToken ct)
    {
        var letters = new Dictionary<(string, string), (string, bool, string)>();
        if (syncs.Length == 0 || keys.Length == 0)
        {
            return letters;
        }

        await using var command = state.CreateCommand(
            $"""
            SELECT DISTINCT ON (s.name, d.record_key) s.name, d.record_key, d.kind, d.replayed_at IS NULL, d.reason
            FROM {schema.Name}.syncs s JOIN {schema.Name}.dead_letters d ON d.sync_id = s.id
            WHERE s.name = ANY($1) AND d.record_key = ANY($2)
            ORDER BY s.name, d.record_key, d.id DESC
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = syncs, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = keys, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            letters[(reader.GetString(0), StoredText.Read(reader.GetString(1)))] = (reader.GetString(2), reader.GetBoolean(3), StoredText.Read(reader.GetString(4)));
        }

        return letters;
    }
}
