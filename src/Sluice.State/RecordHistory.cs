using Npgsql;
using Sluice.Postgres;

namespace Sluice.State;

/// <summary>
/// "Why did this record (not) sync?" (D5): everything the state store knows about one record of one sync,
/// oldest first — each acknowledged send with its message id, and each dead letter with its reason. A key holding a
/// character no command line can carry (U+0000, a lone surrogate) is also found by its <c>\u0000</c> spelling.
/// </summary>
public sealed class RecordHistory(NpgsqlDataSource dataSource, string schema = "sluice")
{
    private readonly string _schema = SqlNames.Quote(schema);

    public async Task<IReadOnlyList<RecordEvent>> LoadAsync(string syncName, string recordKey, CancellationToken ct) =>
        await PostgresCall.RunAsync(PostgresCallContext.StateStore, async () =>
        {
            await using var command = dataSource.CreateCommand(
                $"""
                SELECT 'acknowledged', l.acknowledged_at, l.run_id, coalesce(r.kind, 'pruned'), l.batch_seq, ({SendLedgerIds.MessageIdsSql})[p.i],
                       CASE substr(l.operations, p.i, 1) WHEN 'd' THEN 'delete' ELSE 'upsert' END
                FROM {_schema}.send_ledger l
                JOIN {_schema}.syncs s ON s.id = l.sync_id
                LEFT JOIN {_schema}.runs r ON r.id = l.run_id
                CROSS JOIN LATERAL (SELECT DISTINCT x.i FROM (VALUES (array_position({SendLedgerIds.KeysSql}, $2)), (array_position({SendLedgerIds.KeysSql}, $3))) AS x(i)) p
                WHERE s.name = $1 AND p.i IS NOT NULL
                UNION ALL
                SELECT CASE WHEN d.kind = 'quarantined' THEN 'quarantined' ELSE 'dead-lettered' END, d.created_at, d.run_id, coalesce(r.kind, 'pruned'), NULL, d.message_id,
                       d.reason || CASE WHEN d.replay_outcome = 'dropped' THEN ' (dropped ' || d.replayed_at || ': ' || d.dropped_reason || ')'
                                        WHEN d.kind = 'quarantined' AND d.replayed_at IS NOT NULL THEN ' (released ' || d.replayed_at || ')'
                                        WHEN d.replayed_at IS NULL THEN '' ELSE ' (replayed ' || d.replayed_at || ')' END
                FROM {_schema}.dead_letters d
                JOIN {_schema}.syncs s ON s.id = d.sync_id
                LEFT JOIN {_schema}.runs r ON r.id = d.run_id
                WHERE s.name = $1 AND d.record_key IN ($2, $3)
                ORDER BY 2, 3
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = syncName });
            command.Parameters.Add(new NpgsqlParameter { Value = StoredText.Store(recordKey) });
            command.Parameters.Add(new NpgsqlParameter { Value = StoredText.Store(StoredText.Typed(recordKey)) });
            var events = new List<RecordEvent>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                events.Add(new RecordEvent(
                    reader.GetString(0),
                    reader.GetFieldValue<DateTimeOffset>(1),
                    reader.GetInt64(2),
                    reader.GetString(3),
                    reader.IsDBNull(4) ? null : reader.GetInt64(4),
                    reader.IsDBNull(5) ? null : StoredText.Read(reader.GetString(5)),
                    // A stored reason keeps its escape marker in front of the " (replayed …)" appended to it.
                    reader.IsDBNull(6) ? null : StoredText.Read(reader.GetString(6))));
            }

            return (IReadOnlyList<RecordEvent>)events;
        });

    /// <summary>
    /// What retention pruned of the sync's history (<c>state.retention:</c>): sends and dead letters up to these times may
    /// be gone; null when nothing was pruned (or the sync is unknown).
    /// </summary>
    public async Task<(DateTimeOffset? Sends, DateTimeOffset? DeadLetters)?> LoadPrunedAsync(string syncName, CancellationToken ct) =>
        await PostgresCall.RunAsync(PostgresCallContext.StateStore, async () =>
        {
            await using var command = dataSource.CreateCommand(
                $"SELECT w.sends_pruned_through, w.dead_letters_pruned_through FROM {_schema}.retention_watermarks w JOIN {_schema}.syncs s ON s.id = w.sync_id WHERE s.name = $1");
            command.Parameters.Add(new NpgsqlParameter { Value = syncName });
            await using var reader = await command.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct) || (reader.IsDBNull(0) && reader.IsDBNull(1)))
            {
                return ((DateTimeOffset?, DateTimeOffset?)?)null;
            }

            return (reader.IsDBNull(0) ? null : reader.GetFieldValue<DateTimeOffset>(0), reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1));
        });

    /// <summary>
    /// The sync's ledger entry of the record: status, destination id, origin, last change, and for a diffing sync the
    /// fingerprint of the version last sent (or deliberately skipped) and its watched values; <c>null</c> for a record
    /// the ledger does not hold (never handled, forgotten after a delete, or a streaming sync, which keeps none).
    /// </summary>
    public async Task<StoredRecordState?> LoadStateAsync(string syncName, string recordKey, CancellationToken ct) =>
        await PostgresCall.RunAsync(PostgresCallContext.StateStore, async () =>
        {
            await using var command = dataSource.CreateCommand(
                $"""
                SELECT encode(r.fingerprint, 'hex'), r.updated_at, r.watched_values::text, r.status, r.destination_id, r.origin, r.run_id, r.skip_reason
                FROM {_schema}.record_state r JOIN {_schema}.syncs s ON s.id = r.sync_id
                WHERE s.name = $1 AND r.record_key IN ($2, $3)
                ORDER BY r.updated_at DESC LIMIT 1
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = syncName });
            command.Parameters.Add(new NpgsqlParameter { Value = StoredText.Store(recordKey) });
            command.Parameters.Add(new NpgsqlParameter { Value = StoredText.Store(StoredText.Typed(recordKey)) });
            await using var reader = await command.ExecuteReaderAsync(ct);
            return await reader.ReadAsync(ct)
                ? new StoredRecordState(reader.IsDBNull(0) ? null : reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1), reader.IsDBNull(2) ? null : reader.GetString(2))
                {
                    Status = reader.IsDBNull(3) ? null : reader.GetString(3),
                    DestinationId = reader.IsDBNull(4) ? null : StoredText.Read(reader.GetString(4)),
                    Origin = reader.IsDBNull(5) ? null : StoredText.Read(reader.GetString(5)),
                    RunId = reader.IsDBNull(6) ? null : reader.GetInt64(6),
                    SkipReason = reader.IsDBNull(7) ? null : StoredText.Read(reader.GetString(7)),
                }
                : null;
        });

    /// <summary>
    /// The conflicts two-way pairs resolved for the record, oldest first: found by its link (the Salesforce Id), which is
    /// either the key itself (a sync reading Salesforce) or the destination id the sync's ledger holds for it.
    /// </summary>
    public async Task<IReadOnlyList<StoredConflict>> LoadConflictsAsync(string syncName, string recordKey, CancellationToken ct) =>
        await PostgresCall.RunAsync(PostgresCallContext.StateStore, async () =>
        {
            await using var command = dataSource.CreateCommand(
                $"""
                SELECT c.pair, c.link, s.name, c.record_key, c.run_id, c.resolved_at, c.field, c.source_side, c.source_value, c.source_modified,
                       c.destination_side, c.destination_value, c.destination_modified, c.rule, c.winner
                FROM {_schema}.two_way_conflicts c JOIN {_schema}.syncs s ON s.id = c.sync_id
                WHERE c.link = $2 OR c.link = (SELECT r.destination_id FROM {_schema}.record_state r JOIN {_schema}.syncs rs ON rs.id = r.sync_id
                                               WHERE rs.name = $1 AND r.record_key = $2)
                ORDER BY c.resolved_at, c.id
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = syncName });
            command.Parameters.Add(new NpgsqlParameter { Value = StoredText.Store(recordKey) });
            var conflicts = new List<StoredConflict>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                conflicts.Add(new StoredConflict(
                    reader.GetString(0), StoredText.Read(reader.GetString(1)), reader.GetString(2), StoredText.Read(reader.GetString(3)),
                    reader.IsDBNull(4) ? null : reader.GetInt64(4), reader.GetFieldValue<DateTimeOffset>(5), reader.GetString(6),
                    reader.GetString(7), reader.IsDBNull(8) ? null : StoredText.Read(reader.GetString(8)), reader.IsDBNull(9) ? null : reader.GetFieldValue<DateTimeOffset>(9),
                    reader.GetString(10), reader.IsDBNull(11) ? null : StoredText.Read(reader.GetString(11)), reader.IsDBNull(12) ? null : reader.GetFieldValue<DateTimeOffset>(12),
                    reader.GetString(13), reader.GetString(14)));
            }

            return (IReadOnlyList<StoredConflict>)conflicts;
        });

    /// <summary>The record's latest dead letter with its payload (what would have been sent); <c>null</c> when it has none.</summary>
    public async Task<StoredDeadLetterPayload?> LoadLastDeadLetterAsync(string syncName, string recordKey, CancellationToken ct) =>
        await PostgresCall.RunAsync(PostgresCallContext.StateStore, async () =>
        {
            await using var command = dataSource.CreateCommand(
                $"""
                SELECT d.reason, d.payload, d.replayed_at IS NULL, d.created_at, d.kind, d.replay_attempts
                FROM {_schema}.dead_letters d JOIN {_schema}.syncs s ON s.id = d.sync_id
                WHERE s.name = $1 AND d.record_key IN ($2, $3)
                ORDER BY d.id DESC LIMIT 1
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = syncName });
            command.Parameters.Add(new NpgsqlParameter { Value = StoredText.Store(recordKey) });
            command.Parameters.Add(new NpgsqlParameter { Value = StoredText.Store(StoredText.Typed(recordKey)) });
            await using var reader = await command.ExecuteReaderAsync(ct);
            return await reader.ReadAsync(ct)
                ? new StoredDeadLetterPayload(StoredText.Read(reader.GetString(0)), StoredText.ReadOrNull(reader.IsDBNull(1) ? null : reader.GetString(1)), reader.GetBoolean(2), reader.GetFieldValue<DateTimeOffset>(3))
                {
                    Kind = reader.GetString(4),
                    Attempts = reader.GetInt32(5),
                }
                : null;
        });

    /// <summary>
    /// The key of the record the sync knows by <paramref name="messageId"/> (an ingested event's messageId, which its
    /// sender knows, unlike the event id Sluice keys it by); <c>null</c> when no dead letter or send has that id.
    /// </summary>
    public async Task<string?> KeyOfMessageIdAsync(string syncName, string messageId, CancellationToken ct) =>
        await PostgresCall.RunAsync(PostgresCallContext.StateStore, async () =>
        {
            await using var command = dataSource.CreateCommand(
                $"""
                SELECT k FROM (
                    SELECT d.record_key AS k, 1 AS o FROM {_schema}.dead_letters d JOIN {_schema}.syncs s ON s.id = d.sync_id
                    WHERE s.name = $1 AND d.message_id = $2
                    UNION ALL
                    SELECT ({SendLedgerIds.KeysSql})[array_position({SendLedgerIds.MessageIdsSql}, $2)], 2 FROM {_schema}.send_ledger l JOIN {_schema}.syncs s ON s.id = l.sync_id
                    WHERE s.name = $1 AND $2 = ANY({SendLedgerIds.MessageIdsSql})) found
                ORDER BY o LIMIT 1
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = syncName });
            command.Parameters.Add(new NpgsqlParameter { Value = StoredText.Store(messageId) });
            return await command.ExecuteScalarAsync(ct) is string key ? StoredText.Read(key) : null;
        });

    /// <summary>Whether the sync has ever run (so "no history" can say why).</summary>
    public async Task<bool> KnowsSyncAsync(string syncName, CancellationToken ct) =>
        await PostgresCall.RunAsync(PostgresCallContext.StateStore, async () =>
        {
            await using var command = dataSource.CreateCommand($"SELECT EXISTS (SELECT 1 FROM {_schema}.syncs WHERE name = $1)");
            command.Parameters.Add(new NpgsqlParameter { Value = syncName });
            return await command.ExecuteScalarAsync(ct) is true;
        });
}
