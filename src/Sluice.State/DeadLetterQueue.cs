using Npgsql;
using Sluice.Postgres;

namespace Sluice.State;

/// <summary>
/// The dead-letter queue of the state store (P4): records a destination refused for good, each with its reason and
/// the payload that was to be sent, for <c>sluice dlq list</c> and <c>sluice dlq replay</c>. A letter is in the queue
/// until a replay delivers it; one refused again stays, under the new reason.
/// </summary>
public sealed class DeadLetterQueue
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly StateSchema _stateSchema;
    private readonly string _schema;

    public DeadLetterQueue(NpgsqlDataSource dataSource, string schema = "sluice")
        : this(dataSource, new StateSchema(schema))
    {
    }

    internal DeadLetterQueue(NpgsqlDataSource dataSource, StateSchema schema)
    {
        _dataSource = dataSource;
        _stateSchema = schema;
        _schema = schema.Name;
    }

    /// <summary>The store the queue belongs to, for a replay that takes the sync's run lock itself.</summary>
    internal PostgresStateStore Store => new(_dataSource, _stateSchema);

    /// <summary>
    /// The latest <paramref name="limit"/> letters (oldest of them first), of one sync or of all, and how many
    /// match in all. Payloads only when <paramref name="withPayload"/>: they may hold personal data.
    /// </summary>
    /// <param name="syncName">A sync's name; <c>null</c>: every sync.</param>
    /// <param name="includeReplayed">Also the letters a replay delivered (out of the queue).</param>
    public Task<(IReadOnlyList<StoredDeadLetter> Letters, long Total)> ListAsync(string? syncName, int limit, bool includeReplayed, bool withPayload, CancellationToken ct) =>
        PostgresCall.RunAsync(PostgresCallContext.StateStore, async () =>
        {
            const string Where = "($1::text IS NULL OR s.name = $1) AND ($2 OR d.replayed_at IS NULL)";
            await using var batch = _dataSource.CreateBatch();
            batch.BatchCommands.Add(Command(
                $"""
                SELECT {Columns("$4")}
                FROM {_schema}.dead_letters d JOIN {_schema}.syncs s ON s.id = d.sync_id
                WHERE {Where}
                ORDER BY d.id DESC LIMIT $3
                """, (object?)syncName ?? DBNull.Value, includeReplayed, limit, withPayload));
            batch.BatchCommands.Add(Command(
                $"SELECT count(*) FROM {_schema}.dead_letters d JOIN {_schema}.syncs s ON s.id = d.sync_id WHERE {Where}",
                (object?)syncName ?? DBNull.Value, includeReplayed));
            await using var reader = await batch.ExecuteReaderAsync(ct);
            var letters = await ReadLettersAsync(reader, ct);
            letters.Reverse();
            await reader.NextResultAsync(ct);
            await reader.ReadAsync(ct);
            return ((IReadOnlyList<StoredDeadLetter>)letters, reader.GetInt64(0));
        });

    /// <summary>
    /// Up to <paramref name="limit"/> letters of a sync still in the queue, with payloads, after id <paramref name="afterId"/>, in id order;
    /// quarantined records are left out: a replay must not send what a processor held back. With
    /// <paramref name="quarantined"/>, the quarantined records only (a release, which validates them again).
    /// </summary>
    public Task<IReadOnlyList<StoredDeadLetter>> PendingAsync(string syncName, long afterId, int limit, CancellationToken ct, bool quarantined = false) =>
        PostgresCall.RunAsync(PostgresCallContext.StateStore, async () =>
        {
            await using var command = _dataSource.CreateCommand(
                $"""
                SELECT {Columns("true")}
                FROM {_schema}.dead_letters d JOIN {_schema}.syncs s ON s.id = d.sync_id
                WHERE s.name = $1 AND d.replayed_at IS NULL AND d.id > $2 AND (d.kind = 'quarantined') = $4
                ORDER BY d.id LIMIT $3
                """);
            AddValues(command.Parameters, syncName, afterId, limit, quarantined);
            await using var reader = await command.ExecuteReaderAsync(ct);
            return (IReadOnlyList<StoredDeadLetter>)await ReadLettersAsync(reader, ct);
        });

    /// <summary>
    /// The letters of a sync with these ids, in the queue or not, with payloads, in id order; ids of other syncs, and
    /// quarantined records, are left out (with <paramref name="quarantined"/>: only quarantined records are found).
    /// </summary>
    public Task<IReadOnlyList<StoredDeadLetter>> FindAsync(string syncName, IReadOnlyCollection<long> ids, CancellationToken ct, bool quarantined = false) =>
        PostgresCall.RunAsync(PostgresCallContext.StateStore, async () =>
        {
            await using var command = _dataSource.CreateCommand(
                $"""
                SELECT {Columns("true")}
                FROM {_schema}.dead_letters d JOIN {_schema}.syncs s ON s.id = d.sync_id
                WHERE s.name = $1 AND d.id = ANY($2) AND (d.kind = 'quarantined') = $3
                ORDER BY d.id
                """);
            AddValues(command.Parameters, syncName, ids.ToArray(), quarantined);
            await using var reader = await command.ExecuteReaderAsync(ct);
            return (IReadOnlyList<StoredDeadLetter>)await ReadLettersAsync(reader, ct);
        });

    /// <summary>
    /// Records how a replay went, in one transaction: <paramref name="delivered"/> leave the queue;
    /// <paramref name="refused"/> stay, under their new reason (the first one is kept in <c>original_reason</c>); and
    /// the replay's run row, when given, counts them.
    /// </summary>
    public Task RecordReplayAsync(IReadOnlyCollection<long> delivered, IReadOnlyCollection<(long Id, string Reason)> refused, CancellationToken ct) =>
        RecordReplayAsync(null, delivered, refused, ct);

    /// <inheritdoc cref="RecordReplayAsync(IReadOnlyCollection{long}, IReadOnlyCollection{ValueTuple{long, string}}, CancellationToken)"/>
    public Task RecordReplayAsync(long? runId, IReadOnlyCollection<long> delivered, IReadOnlyCollection<(long Id, string Reason)> refused, CancellationToken ct) =>
        PostgresCall.RunAsync(PostgresCallContext.StateStore, async () =>
        {
            // A batch runs in one implicit transaction.
            await using var batch = _dataSource.CreateBatch();
            if (delivered.Count > 0)
            {
                batch.BatchCommands.Add(Command(
                    $"""
                    UPDATE {_schema}.dead_letters
                    SET replayed_at = now(), replay_outcome = 'delivered', replay_attempts = replay_attempts + 1, last_replay_at = now()
                    WHERE id = ANY($1)
                    """, delivered.ToArray()));
            }

            if (refused.Count > 0)
            {
                batch.BatchCommands.Add(Command(
                    $"""
                    UPDATE {_schema}.dead_letters d
                    SET original_reason = coalesce(d.original_reason, d.reason), reason = u.reason,
                        replay_outcome = 'refused', replay_attempts = d.replay_attempts + 1, last_replay_at = now()
                    FROM unnest($1::bigint[], $2::text[]) AS u(id, reason)
                    WHERE d.id = u.id
                    """, refused.Select(r => r.Id).ToArray(), refused.Select(r => StoredText.Store(r.Reason)).ToArray()));
            }

            if (runId is { } run && batch.BatchCommands.Count > 0)
            {
                batch.BatchCommands.Add(Command(
                    $"UPDATE {_schema}.runs SET records_read = records_read + $2, acknowledged = acknowledged + $3, rejected = rejected + $4, batches = batches + 1 WHERE id = $1",
                    run, (long)(delivered.Count + refused.Count), (long)delivered.Count, (long)refused.Count));
            }

            if (batch.BatchCommands.Count > 0)
            {
                await batch.ExecuteNonQueryAsync(ct);
            }
        });

    /// <summary>
    /// Drops dead letters of <paramref name="syncName"/> for good (never replayed): the given ids, or every one still in
    /// the queue when <paramref name="ids"/> is null. Quarantined records are left alone (the quarantine drops its own,
    /// <see cref="QuarantineStore.DropAsync"/>). They leave the queue with <paramref name="reason"/> (<c>dropped_reason</c>,
    /// replay outcome <c>dropped</c>), which <c>sluice explain</c> shows. Returns the ids dropped.
    /// </summary>
    public Task<IReadOnlyList<long>> DropAsync(string syncName, IReadOnlyCollection<long>? ids, string reason, CancellationToken ct) =>
        PostgresCall.RunAsync(PostgresCallContext.StateStore, async () =>
        {
            await using var command = _dataSource.CreateCommand(
                $"""
                UPDATE {_schema}.dead_letters d
                SET replayed_at = now(), replay_outcome = 'dropped', dropped_reason = $3, last_replay_at = now()
                FROM {_schema}.syncs s
                WHERE s.id = d.sync_id AND s.name = $1 AND d.kind <> 'quarantined' AND d.replayed_at IS NULL
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

    internal static string Columns(string withPayload) =>
        $"d.id, s.name, d.run_id, d.record_key, d.message_id, d.reason, d.created_at, d.replayed_at, d.replay_outcome, d.replay_attempts, CASE WHEN {withPayload} THEN d.payload END, d.kind";

    internal static async Task<List<StoredDeadLetter>> ReadLettersAsync(NpgsqlDataReader reader, CancellationToken ct)
    {
        var letters = new List<StoredDeadLetter>();
        while (await reader.ReadAsync(ct))
        {
            letters.Add(new StoredDeadLetter(
                reader.GetInt64(0),
                reader.GetString(1),
                reader.GetInt64(2),
                StoredText.Read(reader.GetString(3)),
                reader.IsDBNull(4) ? null : StoredText.Read(reader.GetString(4)),
                StoredText.Read(reader.GetString(5)),
                reader.GetFieldValue<DateTimeOffset>(6),
                reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7),
                reader.IsDBNull(8) ? null : reader.GetString(8),
                reader.GetInt32(9),
                reader.IsDBNull(10) ? null : StoredText.Read(reader.GetString(10)))
            {
                Kind = reader.GetString(11),
            });
        }

        return letters;
    }

    private static NpgsqlBatchCommand Command(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        AddValues(command.Parameters, values);
        return command;
    }

    private static void AddValues(NpgsqlParameterCollection parameters, params object[] values)
    {
        foreach (var value in values)
        {
            parameters.Add(new NpgsqlParameter { Value = value });
        }
    }
}
