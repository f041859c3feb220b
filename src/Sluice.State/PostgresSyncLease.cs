using System.Diagnostics;
using Npgsql;
using Sluice.Core.Checkpoints;
using Sluice.Core.Engine.WriteBack;
using Sluice.Core.Errors;
using Sluice.Core.Records;
using Sluice.Core.State;
using Sluice.Postgres;

namespace Sluice.State;

/// <summary>
/// A held run lock: the session advisory lock lives on <see cref="_lockConnection"/>, so it is
/// released when the lease is disposed or the process dies. Commits use pooled connections.
/// </summary>
internal sealed class PostgresSyncLease(NpgsqlDataSource dataSource, StateSchema schema, NpgsqlConnection lockConnection, string syncName, long syncId) : ISyncLease
{
    private readonly NpgsqlConnection _lockConnection = lockConnection;

    /// <summary>The checkpoint generation this lease last read or wrote; 0 when none exists.</summary>
    private long _generation;

    public string SyncName { get; } = syncName;

    public IRecordStateReader RecordStates => new PostgresRecordStateReader(dataSource, schema, syncId);

    public IRecordStateLookup RecordLookup => new PostgresRecordStateLookup(dataSource, schema, syncId);

    /// <summary>The source's database and role are the state store's: the write-back joins the commit transaction.</summary>
    public bool CommitsWriteBack(WriteBackStatement statement) =>
        string.Equals(statement.Database, DatabaseIdentity.Of(dataSource.ConnectionString), StringComparison.Ordinal);

    /// <summary>The destination's database and role are the state store's: its writes can join the commit transaction.</summary>
    public bool SharesTransactionWith(string database) =>
        string.Equals(database, DatabaseIdentity.Of(dataSource.ConnectionString), StringComparison.Ordinal);

    public Task<System.Data.Common.DbTransaction> BeginSharedTransactionAsync(CancellationToken ct) =>
        PostgresCall.RunAsync(PostgresCallContext.StateStore, async () =>
        {
            var connection = await dataSource.OpenConnectionAsync(ct);
            try
            {
                return (System.Data.Common.DbTransaction)await connection.BeginTransactionAsync(ct);
            }
            catch
            {
                await connection.DisposeAsync();
                throw;
            }
        });

    public Task<IReadOnlyList<WrittenBackId>> PendingWriteBacksAsync(CancellationToken ct) =>
        PostgresCall.RunAsync(PostgresCallContext.StateStore, async () =>
        {
            await using var command = dataSource.CreateCommand(
                $"SELECT record_key, destination_id FROM {schema.Name}.record_state WHERE sync_id = $1 AND write_back_pending AND destination_id IS NOT NULL");
            command.Parameters.Add(new NpgsqlParameter { Value = syncId });
            await using var reader = await command.ExecuteReaderAsync(ct);
            var pending = new List<WrittenBackId>();
            while (await reader.ReadAsync(ct))
            {
                pending.Add(new WrittenBackId(reader.GetString(0), reader.GetString(1)));
            }

            return (IReadOnlyList<WrittenBackId>)pending;
        });

    public Task WrittenBackAsync(IReadOnlyList<WrittenBackId> ids, CancellationToken ct) =>
        PostgresCall.RunAsync(PostgresCallContext.StateStore, async () =>
        {
            // Only while the ledger still holds the id written: an entry a later commit gave another id stays pending.
            await using var command = dataSource.CreateCommand(
                $"""
                UPDATE {schema.Name}.record_state r SET write_back_pending = false
                FROM unnest($2::text[], $3::text[]) AS w(k, id)
                WHERE r.sync_id = $1 AND r.record_key = w.k AND r.destination_id = w.id AND r.write_back_pending
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = syncId });
            command.Parameters.Add(new NpgsqlParameter { Value = ids.Select(i => StoredText.Store(i.Key)).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = ids.Select(i => StoredText.Store(i.Id)).ToArray() });
            await command.ExecuteNonQueryAsync(ct);
        });

    public IWaitingRecords Waiting => new PostgresWaitingRecords(dataSource, schema, syncId, found => _mayHaveWaiting = found);

    /// <summary>
    /// Whether the sync may have waiting records, which a newer version committed must supersede: unknown (true) until a
    /// run looked (<see cref="Waiting"/>'s first page), and true again once a commit stores one. A sync without any
    /// skips the look-up in each commit.
    /// </summary>
    private bool _mayHaveWaiting = true;

    public Task<Checkpoint?> LoadCheckpointAsync(CancellationToken ct) =>
        PostgresCall.RunAsync(PostgresCallContext.StateStore, () => LoadCheckpointCoreAsync(ct));

    private async Task<Checkpoint?> LoadCheckpointCoreAsync(CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand($"SELECT format, version, value, generation FROM {schema.Name}.checkpoints WHERE sync_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = syncId });
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            _generation = 0;
            return null;
        }

        _generation = reader.GetInt64(3);
        return new Checkpoint(reader.GetString(0), reader.GetInt32(1), reader.GetString(2));
    }

    public Task<long> StartRunAsync(RunKind kind, CancellationToken ct) =>
        PostgresCall.RunAsync(PostgresCallContext.StateStore, () => StartRunCoreAsync(kind, ct));

    private async Task<long> StartRunCoreAsync(RunKind kind, CancellationToken ct)
    {
        // We hold the sync's lock, so a run still marked running died with its process (killed, crashed).
        await using (var interrupted = dataSource.CreateCommand(
            $"UPDATE {schema.Name}.runs SET status = 'interrupted', finished_at = now(), error = 'the process stopped before the run finished (killed or crashed); the next run resumed from the last committed checkpoint' WHERE sync_id = $1 AND status = 'running'"))
        {
            interrupted.Parameters.Add(new NpgsqlParameter { Value = syncId });
            await interrupted.ExecuteNonQueryAsync(ct);
        }

        await using var command = dataSource.CreateCommand(
            $"INSERT INTO {schema.Name}.runs (sync_id, kind, status, host, pid) VALUES ($1, $2, 'running', $3, $4) RETURNING id");
        command.Parameters.Add(new NpgsqlParameter { Value = syncId });
        command.Parameters.Add(new NpgsqlParameter { Value = kind.ToString().ToLowerInvariant() });
        command.Parameters.Add(new NpgsqlParameter { Value = Environment.MachineName });
        command.Parameters.Add(new NpgsqlParameter { Value = Environment.ProcessId });
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    public Task CommitBatchAsync(BatchCommit commit, CancellationToken ct) =>
        PostgresCall.RunAsync(PostgresCallContext.StateStore, () => CommitBatchesCoreAsync([commit], ct));

    public Task CommitBatchesAsync(IReadOnlyList<BatchCommit> commits, CancellationToken ct) =>
        PostgresCall.RunAsync(PostgresCallContext.StateStore, () => CommitBatchesCoreAsync(commits, ct));

    /// <summary>
    /// Each batch's ledger, fingerprints, dead letters and batch row; the run's counters and the checkpoint once, for the last.
    /// Every string that came from a record passes through <see cref="StoredText"/>: one record's data must never fail the commit.
    /// </summary>
    private async Task CommitBatchesCoreAsync(IReadOnlyList<BatchCommit> commits, CancellationToken ct)
    {
        if (commits[^1].Transaction is { } shared)
        {
            // The destination wrote the batch in this transaction (BeginSharedTransactionAsync): its rows commit with the
            // checkpoint. The engine disposes it and its connection.
            if (commits.Count != 1)
            {
                throw new ArgumentException("a commit in a shared transaction holds one batch", nameof(commits));
            }

            await CommitInAsync((NpgsqlConnection)shared.Connection!, (NpgsqlTransaction)shared, commits, ct);
            return;
        }

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await CommitInAsync(connection, transaction, commits, ct);
    }

    private async Task CommitInAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<BatchCommit> commits, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        if (_mayHaveWaiting)
        {
            AddSupersede(batch, commits);
        }

        var ledgers = commits.Select(c => LedgerEntries.Of(c.RecordStates)).ToList();
        // A COPY runs now, the batch's statements after it: a key one batch forgets and a later one stores would be
        // stored, then deleted. Such commits (never a first load's: it forgets nothing) take the upsert.
        var mayCopy = ledgers.TrueForAll(l => l.Forgotten.Count == 0);
        await CopyLedgerRowsAsync(connection, commits, ct);
        for (var c = 0; c < commits.Count; c++)
        {
            var each = commits[c];
            AddRecordStates(batch, each.RunId, ledgers[c], mayCopy && await TryCopyRecordStatesAsync(connection, transaction, each.RunId, ledgers[c], ct));
            AddWriteBack(batch, each.WriteBack);
            AddPaired(batch, each.RunId, each.Paired);

            foreach (var letter in each.DeadLetters)
            {
                batch.BatchCommands.Add(Command(
                    $"INSERT INTO {schema.Name}.dead_letters (sync_id, run_id, record_key, message_id, reason, payload, kind) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    syncId, each.RunId, StoredText.Store(letter.RecordKey), StoredText.StoreOrNull(letter.MessageId), StoredText.Store(letter.Reason), StoredText.StoreOrNull(letter.Payload),
                    letter.Kind.ToString().ToLowerInvariant()));
            }

            if (c < commits.Count - 1)
            {
                batch.BatchCommands.Add(Command(
                    $"INSERT INTO {schema.Name}.run_batches (run_id, batch_seq, records_read, acknowledged, rejected, position) VALUES ($1, $2, $3, $4, $5, $6)",
                    each.RunId, each.Sequence, each.RecordsRead, each.Sent.Count, Rejected(each), each.Checkpoint.Value));
            }
        }

        var commit = commits[^1];
        var move = _generation == 0
            ? Command(
                $"INSERT INTO {schema.Name}.checkpoints (sync_id, format, version, value, generation, run_id) VALUES ($1, $2, $3, $4, 1, $5) ON CONFLICT (sync_id) DO NOTHING",
                syncId, commit.Checkpoint.Format, commit.Checkpoint.Version, commit.Checkpoint.Value, commit.RunId)
            : Command(
                $"UPDATE {schema.Name}.checkpoints SET format = $2, version = $3, value = $4, generation = generation + 1, run_id = $5, updated_at = now() WHERE sync_id = $1 AND generation = $6",
                syncId, commit.Checkpoint.Format, commit.Checkpoint.Version, commit.Checkpoint.Value, commit.RunId, _generation);
        batch.BatchCommands.Add(move);
        // The last batch's position is the checkpoint just written: copied from its row rather than sent and stored a second
        // time. A checkpoint can be megabytes (a Salesforce source's window after a load lists every record stamped within
        // its lookback), and PostgreSQL copies a stored value without parsing or compressing it again.
        batch.BatchCommands.Add(Command(
            $"INSERT INTO {schema.Name}.run_batches (run_id, batch_seq, records_read, acknowledged, rejected, position) SELECT $2, $3, $4, $5, $6, value FROM {schema.Name}.checkpoints WHERE sync_id = $1",
            syncId, commit.RunId, commit.Sequence, commit.RecordsRead, commit.Sent.Count, Rejected(commit)));
        batch.BatchCommands.Add(Command(
            $"UPDATE {schema.Name}.runs SET records_read = records_read + $2, acknowledged = acknowledged + $3, rejected = rejected + $4, batches = batches + $5 WHERE id = $1",
            commit.RunId, commits.Sum(c => (long)c.RecordsRead), commits.Sum(c => (long)c.Sent.Count), commits.Sum(c => (long)Rejected(c)), (long)commits.Count));
        await batch.ExecuteNonQueryAsync(ct);

        if (move.RecordsAffected != 1)
        {
            // Someone else moved the checkpoint (a second process after our lock's connection died, an operator):
            // roll back rather than overwrite progress this run did not make.
            await transaction.RollbackAsync(ct);
            throw new CheckpointConflictException(SyncName);
        }

        await transaction.CommitAsync(ct);
        _generation++;
        _mayHaveWaiting |= commits.Any(c => c.DeadLetters.Any(l => l.Kind == DeadLetterKind.Waiting));
    }

    /// <summary>
    /// A record the batches handle again (sent, refused, held back, left out) leaves the waiting state it was in: the
    /// version read now supersedes the waiting one, which must never be sent after it. Runs before the batches' own
    /// dead letters are stored, so a new version that waits in turn replaces the old one.
    /// </summary>
    private void AddSupersede(NpgsqlBatch batch, IReadOnlyList<BatchCommit> commits)
    {
        var keys = commits.SelectMany(c => c.Sent.Select(s => s.RecordKey).Concat(c.DeadLetters.Select(l => l.RecordKey)).Concat(c.RecordStates.Select(r => r.Key)))
            .Select(StoredText.Store).Distinct(StringComparer.Ordinal).ToArray();
        if (keys.Length > 0)
        {
            batch.BatchCommands.Add(Command(
                $"""
                UPDATE {schema.Name}.dead_letters SET replayed_at = now(), replay_outcome = 'superseded'
                WHERE sync_id = $1 AND kind = 'waiting' AND replayed_at IS NULL AND record_key = ANY($2::text[])
                """, syncId, keys));
        }
    }

    /// <summary>Records the batch dead-lettered or quarantined; a waiting record is not rejected.</summary>
    private static int Rejected(BatchCommit commit) => commit.DeadLetters.Count(l => l.Kind != DeadLetterKind.Waiting);

    public Task FinishRunAsync(long runId, RunOutcome outcome, RunAudit? audit, CancellationToken ct) =>
        PostgresCall.RunAsync(PostgresCallContext.StateStore, () => FinishRunCoreAsync(runId, outcome, audit, ct));

    private async Task FinishRunCoreAsync(long runId, RunOutcome outcome, RunAudit? audit, CancellationToken ct)
    {
        // A batch runs in one implicit transaction: a run is never finished without its audit row.
        await using var batch = dataSource.CreateBatch();
        var status = outcome.Status.ToString().ToLowerInvariant();
        batch.BatchCommands.Add(Command(
            $"UPDATE {schema.Name}.runs SET status = $2, error = $3, finished_at = now() WHERE id = $1",
            runId, status, StoredText.StoreOrNull(outcome.Error)));
        if (audit is not null)
        {
            batch.BatchCommands.Add(AuditRow(runId, status, audit));
        }

        await batch.ExecuteNonQueryAsync(ct);
    }

    private NpgsqlBatchCommand AuditRow(long runId, string status, RunAudit audit)
    {
        var command = Command(
            $"""
            INSERT INTO {schema.Name}.audit_log (sync_id, sync_name, run_id, status, destination_connection, destination, fields,
                                                 acknowledged, rejected, os_user, host, pid, started_at, finished_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
            """,
            syncId, SyncName, runId, status, (object?)audit.DestinationConnection ?? DBNull.Value, audit.Destination,
            AuditFieldsJson.Write(audit.Fields), audit.Acknowledged, audit.Rejected,
            audit.Actor.OsUser, audit.Actor.Host, audit.Actor.ProcessId, audit.StartedAt, audit.FinishedAt);
        command.Parameters[6].NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Jsonb;
        return command;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_lockConnection.State == System.Data.ConnectionState.Open)
            {
                await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", _lockConnection);
                unlock.Parameters.Add(new NpgsqlParameter { Value = schema.LockKey(syncId) });
                await unlock.ExecuteNonQueryAsync();
            }
        }
        catch (NpgsqlException)
        {
            // The connection is gone, and the session lock with it.
        }
        finally
        {
            await _lockConnection.DisposeAsync();
        }
    }

    /// <summary>
    /// The send ledger's row of each batch that sent anything, by one binary COPY in the commit's transaction
    /// (<see cref="SendLedgerCopyRows"/>). Nothing else the commit writes reads these rows, so they go first.
    /// </summary>
    private async Task CopyLedgerRowsAsync(NpgsqlConnection connection, IReadOnlyList<BatchCommit> commits, CancellationToken ct)
    {
        var rows = new List<(long RunId, long Sequence, string Operations, SendLedgerIds Ids)>(commits.Count);
        foreach (var commit in commits)
        {
            if (commit.Sent.Count > 0)
            {
                rows.Add(LedgerRow(commit));
            }
        }

        if (rows.Count == 0)
        {
            return;
        }

        using var stream = SendLedgerCopyRows.Encode(syncId, rows);
        await RawCopyIn.RunAsync(connection, $"COPY {schema.Name}.send_ledger ({SendLedgerCopyRows.Columns}) FROM STDIN (FORMAT BINARY)", stream, ct);
    }

    private static (long RunId, long Sequence, string Operations, SendLedgerIds Ids) LedgerRow(BatchCommit commit)
    {
        var keys = new string[commit.Sent.Count];
        var messageIds = new string[commit.Sent.Count];
        var operations = new char[commit.Sent.Count];
        for (var i = 0; i < keys.Length; i++)
        {
            var entry = commit.Sent[i];
            keys[i] = entry.RecordKey;
            messageIds[i] = entry.MessageId;
            operations[i] = entry.Operation == ChangeOperation.Delete ? 'd' : 'u';
        }

        // An id that is its record's key is stored once, as a uuid where it is one (migration 0028).
        return (commit.RunId, commit.Sequence, new string(operations), SendLedgerIds.Of(keys, messageIds));
    }

    /// <summary>
    /// The ledger entries a batch moves, as they are stored: a key the batch holds twice (a row read again after it moved
    /// under a cursor; a stream's record changed twice) once, as its last entry says; the keys it forgets apart.
    /// </summary>
    private sealed class LedgerEntries(int capacity)
    {
        public List<string> Keys { get; } = new(capacity);
        public List<byte[]?> Fingerprints { get; } = new(capacity);
        public List<string?> Watched { get; } = new(capacity);
        public List<string?> Statuses { get; } = new(capacity);
        public List<string?> DestinationIds { get; } = new(capacity);
        public List<string?> Origins { get; } = new(capacity);
        public List<string?> SkipReasons { get; } = new(capacity);
        public List<string> Forgotten { get; } = [];

        public static LedgerEntries Of(IReadOnlyList<RecordState> states)
        {
            var last = new Dictionary<string, int>(states.Count, StringComparer.Ordinal);
            for (var i = 0; i < states.Count; i++)
            {
                last[states[i].Key] = i;
            }

            var entries = new LedgerEntries(states.Count - last.Count(e => states[e.Value].Forgets));
            for (var i = 0; i < states.Count; i++)
            {
                var state = states[i];
                if (last[state.Key] != i)
                {
                    continue;
                }

                if (state.Forgets)
                {
                    entries.Forgotten.Add(StoredText.Store(state.Key));
                    continue;
                }

                entries.Keys.Add(StoredText.Store(state.Key));
                entries.Fingerprints.Add(state.Fingerprint);
                entries.Watched.Add(state.Values is { } values ? WatchedValuesJson.Write(values) : null);
                entries.Statuses.Add(RecordStatusText.Write(state.Status));
                entries.DestinationIds.Add(state.DestinationId is { } id ? StoredText.Store(id) : null);
                entries.Origins.Add(state.Origin is { } origin ? StoredText.Store(origin) : null);
                entries.SkipReasons.Add(state.SkipReason is { } skipped ? StoredText.Store(skipped) : null);
            }

            return entries;
        }
    }

    /// <summary>
    /// Whether this lease's commits try the record ledger's first load by COPY: unknown until a commit asks whether the
    /// sync has any entry; true while every COPY found its keys new; false for good once the sync had entries, or a COPY
    /// met a key already stored.
    /// </summary>
    private bool? _ledgerFirstLoad;

    private const string LedgerCopySavepoint = "sluice_ledger_copy";

    /// <summary>
    /// The ledger entries the batch moves, when the sync has none yet (its first load): one binary COPY into
    /// record_state, in the commit's transaction, before the batch's other statements (so a write-back's mark finds its
    /// entries). For 100,000 new entries COPY costs a fraction of the upsert of parallel arrays (no arrays to build and
    /// unpack, no ON CONFLICT). The table's primary key is what proves the keys new — only this lease commits the
    /// sync's entries, but a key may come twice in one run: a COPY that meets a stored key fails, is rolled back to its
    /// savepoint, and the entries take the upsert. True when the entries were written.
    /// </summary>
    private async Task<bool> TryCopyRecordStatesAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long runId, LedgerEntries entries, CancellationToken ct)
    {
        if (_ledgerFirstLoad is false || entries.Keys.Count == 0)
        {
            return false;
        }

        if (_ledgerFirstLoad is null)
        {
            await using var empty = new NpgsqlCommand($"SELECT NOT EXISTS (SELECT 1 FROM {schema.Name}.record_state WHERE sync_id = $1)", connection, transaction);
            empty.Parameters.Add(new NpgsqlParameter { Value = syncId });
            _ledgerFirstLoad = (bool)(await empty.ExecuteScalarAsync(ct))!;
            if (_ledgerFirstLoad is false)
            {
                return false;
            }
        }

        await ExecuteAsync(connection, transaction, $"SAVEPOINT {LedgerCopySavepoint}", ct);
        try
        {
            using var rows = RecordStateCopyRows.Encode(syncId, runId, entries.Keys, entries.Fingerprints, entries.Watched, entries.Statuses, entries.DestinationIds,
                entries.Origins, entries.SkipReasons);
            await RawCopyIn.RunAsync(connection, $"COPY {schema.Name}.record_state ({RecordStateCopyRows.Columns}) FROM STDIN (FORMAT BINARY)", rows, ct);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            await ExecuteAsync(connection, transaction, $"ROLLBACK TO SAVEPOINT {LedgerCopySavepoint}; RELEASE SAVEPOINT {LedgerCopySavepoint}", ct);
            _ledgerFirstLoad = false;
            return false;
        }

        await ExecuteAsync(connection, transaction, $"RELEASE SAVEPOINT {LedgerCopySavepoint}", ct);
        return true;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// The ledger entries the batch moves, set-based: one upsert of parallel arrays and one delete, whatever the batch's
    /// size (ON CONFLICT may touch a row once per statement: <see cref="LedgerEntries"/> holds a key once). A destination
    /// id survives an entry without one (a later version refused): the record still exists at the destination under it.
    /// Entries already written by <see cref="TryCopyRecordStatesAsync"/> leave only the forgotten keys' delete.
    /// </summary>
    private void AddRecordStates(NpgsqlBatch batch, long runId, LedgerEntries entries, bool copied)
    {
        if (entries.Keys.Count > 0 && !copied)
        {
            // Entries whose keys the ledger holds none of (a sync's first load) are plainly inserted: ON CONFLICT's
            // speculative insertion cost a third more for 100,000 new entries. Whether any is stored is asked first — a
            // sync without any entry in one index probe, else one probe per key, stopping at the first found — in the
            // same statement (one snapshot; only this lease commits the sync's entries), and a key found takes the upsert.
            batch.BatchCommands.Add(Command(
                $"""
                WITH stored AS (
                    SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM {schema.Name}.record_state WHERE sync_id = $1) THEN false
                                ELSE EXISTS (SELECT 1 FROM unnest($2::text[]) AS p(k)
                                             WHERE (SELECT true FROM {schema.Name}.record_state e WHERE e.sync_id = $1 AND e.record_key = p.k))
                           END AS found),
                fresh AS (
                    INSERT INTO {schema.Name}.record_state (sync_id, record_key, fingerprint, watched_values, status, destination_id, origin, run_id, updated_at, skip_reason)
                    SELECT $1, k, f, w::jsonb, s, d, o, $8, now(), r FROM unnest($2::text[], $3::bytea[], $4::text[], $5::text[], $6::text[], $7::text[], $9::text[]) AS u(k, f, w, s, d, o, r)
                    WHERE NOT (SELECT found FROM stored))
                INSERT INTO {schema.Name}.record_state (sync_id, record_key, fingerprint, watched_values, status, destination_id, origin, run_id, updated_at, skip_reason)
                SELECT $1, k, f, w::jsonb, s, d, o, $8, now(), r FROM unnest($2::text[], $3::bytea[], $4::text[], $5::text[], $6::text[], $7::text[], $9::text[]) AS u(k, f, w, s, d, o, r)
                WHERE (SELECT found FROM stored)
                ON CONFLICT (sync_id, record_key) DO UPDATE
                    SET fingerprint = EXCLUDED.fingerprint, watched_values = EXCLUDED.watched_values, status = EXCLUDED.status,
                        destination_id = coalesce(EXCLUDED.destination_id, record_state.destination_id), origin = EXCLUDED.origin,
                        run_id = EXCLUDED.run_id, updated_at = EXCLUDED.updated_at, skip_reason = EXCLUDED.skip_reason
                """,
                syncId, entries.Keys.ToArray(), entries.Fingerprints.ToArray(), entries.Watched.ToArray(), entries.Statuses.ToArray(),
                entries.DestinationIds.ToArray(), entries.Origins.ToArray(), runId, entries.SkipReasons.ToArray()));
        }

        if (entries.Forgotten.Count > 0)
        {
            batch.BatchCommands.Add(Command(
                $"DELETE FROM {schema.Name}.record_state WHERE sync_id = $1 AND record_key = ANY($2::text[])",
                syncId, entries.Forgotten.ToArray()));
        }
    }

    /// <summary>
    /// The batch's ids written back in this very transaction when the source database is the state database (with the
    /// checkpoint and the ledger: all or nothing), or else marked pending in the ledger for the engine to write next.
    /// Runs after <see cref="AddRecordStates"/>, which stored the ids the mark applies to.
    /// </summary>
    private void AddWriteBack(NpgsqlBatch batch, WriteBackCommit? writeBack)
    {
        if (writeBack is null || writeBack.Ids.Count == 0)
        {
            return;
        }

        if (CommitsWriteBack(writeBack.Statement))
        {
            batch.BatchCommands.Add(Command(writeBack.Statement.Sql, writeBack.Ids.Select(i => i.Key).ToArray(), writeBack.Ids.Select(i => i.Id).ToArray()));
            return;
        }

        batch.BatchCommands.Add(Command(
            $"UPDATE {schema.Name}.record_state SET write_back_pending = true WHERE sync_id = $1 AND record_key = ANY($2::text[])",
            syncId, writeBack.Ids.Select(i => StoredText.Store(i.Key)).ToArray()));
    }

    /// <summary>
    /// What two-way pairs agreed on for the batch's records (the last entry for a link wins) and the conflicts they
    /// resolved, in the commit's transaction: an agreement never moves ahead of the write it describes.
    /// </summary>
    private void AddPaired(NpgsqlBatch batch, long runId, IReadOnlyList<PairedRecord> paired)
    {
        if (paired.Count == 0)
        {
            return;
        }

        var last = new Dictionary<(string, string), PairedRecord>();
        foreach (var record in paired.Where(p => p.Link is not null))
        {
            last[(record.Pair, record.Link!)] = record;
        }

        var kept = last.Values.Where(p => !p.Forget).ToList();
        if (kept.Count > 0)
        {
            batch.BatchCommands.Add(Command(
                $"""
                INSERT INTO {schema.Name}.two_way_records (pair, link, agreed, sync_id, run_id, updated_at)
                SELECT p, l, a::jsonb, $4, $5, now() FROM unnest($1::text[], $2::text[], $3::text[]) AS u(p, l, a)
                ON CONFLICT (pair, link) DO UPDATE
                    SET agreed = EXCLUDED.agreed, sync_id = EXCLUDED.sync_id, run_id = EXCLUDED.run_id, updated_at = EXCLUDED.updated_at
                """,
                kept.Select(p => p.Pair).ToArray(), kept.Select(p => StoredText.Store(p.Link!)).ToArray(),
                kept.Select(p => WatchedValuesJson.Write(p.Agreed!)).ToArray(), syncId, runId));
        }

        var forgotten = last.Values.Where(p => p.Forget).ToList();
        if (forgotten.Count > 0)
        {
            batch.BatchCommands.Add(Command(
                $"DELETE FROM {schema.Name}.two_way_records WHERE (pair, link) IN (SELECT * FROM unnest($1::text[], $2::text[]))",
                forgotten.Select(p => p.Pair).ToArray(), forgotten.Select(p => StoredText.Store(p.Link!)).ToArray()));
        }

        var conflicts = paired.Where(p => p.Link is not null).SelectMany(p => p.Conflicts.Select(c => (Record: p, Conflict: c))).ToList();
        if (conflicts.Count > 0)
        {
            batch.BatchCommands.Add(Command(
                $"""
                INSERT INTO {schema.Name}.two_way_conflicts (pair, link, sync_id, record_key, run_id, field, source_side, source_value, source_modified,
                                                             destination_side, destination_value, destination_modified, rule, winner)
                SELECT p, l, $13, k, $14, f, ss, sv, sm, ds, dv, dm, r, w
                FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::text[], $9::text[], $10::timestamptz[], $11::text[], $12::text[])
                    AS u(p, l, k, f, ss, sv, sm, ds, dv, dm, r, w)
                """,
                conflicts.Select(c => c.Record.Pair).ToArray(), conflicts.Select(c => StoredText.Store(c.Record.Link!)).ToArray(),
                conflicts.Select(c => StoredText.Store(c.Record.Key)).ToArray(), conflicts.Select(c => c.Conflict.Field).ToArray(),
                conflicts.Select(c => c.Conflict.SourceSide).ToArray(), conflicts.Select(c => c.Conflict.SourceValue is { } v ? StoredText.Store(v) : null).ToArray(),
                conflicts.Select(c => c.Conflict.SourceModified?.ToUniversalTime()).ToArray(), conflicts.Select(c => c.Conflict.DestinationSide).ToArray(),
                conflicts.Select(c => c.Conflict.DestinationValue is { } v ? StoredText.Store(v) : null).ToArray(), conflicts.Select(c => c.Conflict.DestinationModified?.ToUniversalTime()).ToArray(),
                conflicts.Select(c => c.Conflict.Rule).ToArray(), conflicts.Select(c => c.Conflict.Winner).ToArray(), syncId, runId));
        }
    }

    private static NpgsqlBatchCommand Command(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        Debug.Assert(command.Parameters.Count == values.Length);
        return command;
    }
}
