using Npgsql;
using Sluice.Postgres;

namespace Sluice.State;

/// <summary>
/// The quarantine (S5): events a sync's <c>validate:</c> rules held back, each with every rule it failed, kept in the
/// dead-letter table as kind <c>quarantined</c> (migration 0018 adds the <c>quarantine</c> view). Listing and dropping
/// are here; a release goes through <see cref="DeadLetterReplay"/> with <see cref="DeadLetterReplay.Revalidate"/>, so
/// it is sent by the engine's delivery service like any replay.
/// </summary>
public sealed class QuarantineStore
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _schema;

    internal QuarantineStore(NpgsqlDataSource dataSource, StateSchema schema)
    {
        _dataSource = dataSource;
        _schema = schema.Name;
    }

    /// <summary>
    /// The latest <paramref name="limit"/> events still quarantined (oldest of them first), of one sync or all, whose
    /// reason contains <paramref name="reason"/> (case-insensitive; a rule's name, a value, a table), and how many match.
    /// </summary>
    public Task<(IReadOnlyList<StoredDeadLetter> Letters, long Total)> ListAsync(string? syncName, string? reason, int limit, bool withPayload, CancellationToken ct) =>
        PostgresCall.RunAsync(PostgresCallContext.StateStore, async () =>
        {
            const string Where = """
                d.kind = 'quarantined' AND d.replayed_at IS NULL AND ($1::text IS NULL OR s.name = $1)
                AND ($2::text IS NULL OR strpos(lower(d.reason), lower($2)) > 0)
                """;
            await using var batch = _dataSource.CreateBatch();
            var list = new NpgsqlBatchCommand(
                $"""
                SELECT {DeadLetterQueue.Columns("$4")}
                FROM {_schema}.dead_letters d JOIN {_schema}.syncs s ON s.id = d.sync_id
                WHERE {Where}
                ORDER BY d.id DESC LIMIT $3
                """);
            Add(list.Parameters, Text(syncName), Text(reason), limit, withPayload);
            var count = new NpgsqlBatchCommand($"SELECT count(*) FROM {_schema}.dead_letters d JOIN {_schema}.syncs s ON s.id = d.sync_id WHERE {Where}");
            Add(count.Parameters, Text(syncName), Text(reason));
            batch.BatchCommands.Add(list);
            batch.BatchCommands.Add(count);
            await using var reader = await batch.ExecuteReaderAsync(ct);
            var letters = await DeadLetterQueue.ReadLettersAsync(reader, ct);
            letters.Reverse();
            await reader.NextResultAsync(ct);
            await reader.ReadAsync(ct);
            return ((IReadOnlyList<StoredDeadLetter>)letters, reader.GetInt64(0));
        });

    /// <summary>
    /// Drops quarantined events of <paramref name="syncName"/> for good (never sent): the given ids, or every one still
    /// quarantined when <paramref name="ids"/> is null. They leave the quarantine with <paramref name="reason"/>
    /// (<c>dropped_reason</c>, replay outcome <c>dropped</c>). Returns the ids dropped.
    /// </summary>
    public Task<IReadOnlyList<long>> DropAsync(string syncName, IReadOnlyCollection<long>? ids, string reason, CancellationToken ct) =>
        PostgresCall.RunAsync(PostgresCallContext.StateStore, async () =>
        {
            await using var command = _dataSource.CreateCommand(
                $"""
                UPDATE {_schema}.dead_letters d
                SET replayed_at = now(), replay_outcome = 'dropped', dropped_reason = $3, last_replay_at = now()
                FROM {_schema}.syncs s
                WHERE s.id = d.sync_id AND s.name = $1 AND d.kind = 'quarantined' AND d.replayed_at IS NULL
                  AND ($2::bigint[] IS NULL OR d.id = ANY($2))
                RETURNING d.id
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = syncName });
            command.Parameters.Add(new NpgsqlParameter { Value = ids is null ? DBNull.Value : ids.ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Bigint });
            command.Parameters.Add(new NpgsqlParameter { Value = StoredText.Store(reason) });
            var dropped = new List<long>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                dropped.Add(reader.GetInt64(0));
            }

            dropped.Sort();
            return (IReadOnlyList<long>)dropped;
        });

    private static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text };

    private static void Add(NpgsqlParameterCollection parameters, params object[] values)
    {
        foreach (var value in values)
        {
            parameters.Add(value as NpgsqlParameter ?? new NpgsqlParameter { Value = value });
        }
    }
}
