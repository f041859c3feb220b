using Npgsql;
using Sluice.Core.State;
using Sluice.Postgres;

namespace Sluice.State;

/// <summary>
/// A sync's waiting records in the dead-letter queue (kind <c>waiting</c>), paged in id order and settled a page at a
/// time in one transaction with the record ledger and the send ledger.
/// </summary>
internal sealed class PostgresWaitingRecords(NpgsqlDataSource dataSource, StateSchema schema, long syncId, Action<bool> found) : IWaitingRecords
{
    /// <summary>The send ledger's batch number for records sent by a re-offer: before the run's own batches (0, 1, …).</summary>
    internal const long OfferedAgainBatch = -1;

    public Task<IReadOnlyList<WaitingRecord>> PageAsync(long afterId, int limit, CancellationToken ct) =>
        PostgresCall.RunAsync(PostgresCallContext.StateStore, async () =>
        {
            await using var command = dataSource.CreateCommand(
                $"""
                SELECT id, record_key, message_id, payload, reason, replay_attempts, created_at
                FROM {schema.Name}.dead_letters
                WHERE sync_id = $1 AND kind = 'waiting' AND replayed_at IS NULL AND id > $2
                ORDER BY id LIMIT $3
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = syncId });
            command.Parameters.Add(new NpgsqlParameter { Value = afterId });
            command.Parameters.Add(new NpgsqlParameter { Value = limit });
            var page = new List<WaitingRecord>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                page.Add(new WaitingRecord(
                    reader.GetInt64(0),
                    StoredText.Read(reader.GetString(1)),
                    reader.IsDBNull(2) ? null : StoredText.Read(reader.GetString(2)),
                    reader.IsDBNull(3) ? "" : StoredText.Read(reader.GetString(3)),
                    StoredText.Read(reader.GetString(4)),
                    reader.GetInt32(5),
                    reader.GetFieldValue<DateTimeOffset>(6)));
            }

            if (afterId == 0)
            {
                found(page.Count > 0);
            }

            return (IReadOnlyList<WaitingRecord>)page;
        });

    public Task SettleAsync(long runId, IReadOnlyList<WaitingOutcome> outcomes, CancellationToken ct) =>
        PostgresCall.RunAsync(PostgresCallContext.StateStore, async () =>
        {
            if (outcomes.Count == 0)
            {
                return;
            }

            var sent = outcomes.Where(o => o.Kind == WaitingOutcomeKind.Sent).ToList();
            var waiting = outcomes.Where(o => o.Kind == WaitingOutcomeKind.StillWaiting).ToList();
            var refused = outcomes.Where(o => o.Kind == WaitingOutcomeKind.Refused).ToList();

            // A batch runs in one implicit transaction.
            await using var batch = dataSource.CreateBatch();
            if (sent.Count > 0)
            {
                batch.BatchCommands.Add(Command(
                    $"""
                    UPDATE {schema.Name}.dead_letters
                    SET replayed_at = now(), replay_outcome = 'delivered', replay_attempts = replay_attempts + 1, last_replay_at = now()
                    WHERE id = ANY($1)
                    """, sent.Select(o => o.Record.Id).ToArray()));
                batch.BatchCommands.Add(Command(
                    $"INSERT INTO {schema.Name}.send_ledger (sync_id, run_id, batch_seq, record_keys, message_ids, operations) VALUES ($1, $2, $3, $4, $5, $6)",
                    syncId, runId, OfferedAgainBatch, sent.Select(o => StoredText.Store(o.Record.RecordKey)).ToArray(),
                    sent.Select(o => StoredText.Store(o.Record.MessageId ?? o.Record.RecordKey)).ToArray(), new string('u', sent.Count)));
                batch.BatchCommands.Add(LedgerStatus(runId, sent, "sent"));
            }

            if (waiting.Count > 0)
            {
                batch.BatchCommands.Add(Command(
                    $"""
                    UPDATE {schema.Name}.dead_letters d
                    SET original_reason = coalesce(d.original_reason, d.reason), reason = u.reason,
                        replay_outcome = 'waiting', replay_attempts = d.replay_attempts + 1, last_replay_at = now()
                    FROM unnest($1::bigint[], $2::text[]) AS u(id, reason)
                    WHERE d.id = u.id
                    """, waiting.Select(o => o.Record.Id).ToArray(), waiting.Select(o => StoredText.Store(o.Reason ?? o.Record.Reason)).ToArray()));
            }

            if (refused.Count > 0)
            {
                batch.BatchCommands.Add(Command(
                    $"""
                    UPDATE {schema.Name}.dead_letters d
                    SET kind = 'rejected', original_reason = coalesce(d.original_reason, d.reason), reason = u.reason,
                        replay_outcome = 'refused', replay_attempts = d.replay_attempts + 1, last_replay_at = now()
                    FROM unnest($1::bigint[], $2::text[]) AS u(id, reason)
                    WHERE d.id = u.id
                    """, refused.Select(o => o.Record.Id).ToArray(), refused.Select(o => StoredText.Store(o.Reason ?? o.Record.Reason)).ToArray()));
                batch.BatchCommands.Add(LedgerStatus(runId, refused, "dead_lettered"));
            }

            batch.BatchCommands.Add(Command(
                $"UPDATE {schema.Name}.runs SET acknowledged = acknowledged + $2, rejected = rejected + $3 WHERE id = $1",
                runId, (long)sent.Count, (long)refused.Count));
            await batch.ExecuteNonQueryAsync(ct);
        });

    /// <summary>
    /// Moves the ledger entries of records that were waiting, when the sync keeps a ledger (a row exists): a destination
    /// id given now is kept, one given to an earlier version is not lost.
    /// </summary>
    private NpgsqlBatchCommand LedgerStatus(long runId, List<WaitingOutcome> outcomes, string status) => Command(
        $"""
        UPDATE {schema.Name}.record_state r
        SET status = $2, destination_id = coalesce(u.d, r.destination_id), run_id = $3, updated_at = now()
        FROM unnest($4::text[], $5::text[]) AS u(k, d)
        WHERE r.sync_id = $1 AND r.record_key = u.k AND r.status = 'waiting'
        """,
        syncId, status, runId, outcomes.Select(o => StoredText.Store(o.Record.RecordKey)).ToArray(),
        outcomes.Select(o => o.DestinationId is { } id ? StoredText.Store(id) : null).ToArray());

    private static NpgsqlBatchCommand Command(string sql, params object?[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        }

        return command;
    }
}
