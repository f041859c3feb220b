using Npgsql;
using NpgsqlTypes;
using Sluice.Core.Configuration;
using Sluice.Postgres;

namespace Sluice.State.Retention;

/// <summary>
/// Applies <c>state.retention:</c> (docs/retention.md): deletes history older than its retention, in chunks of
/// <see cref="ChunkSize"/> rows, each its own short statement (no long transaction, no lock on more than a chunk), and
/// remembers per sync what it pruned (<c>retention_watermarks</c>), in the statement that prunes it.
/// </summary>
/// <remarks>
/// Nothing the engine needs to not send a record twice is pruned: checkpoints are never touched; the record ledger
/// (<c>record_state</c>, the "known records") loses only entries with no fingerprint and no destination id, as
/// <c>sluice prune --ledger</c> always did; the send ledger is history for <c>sluice explain</c> only. A run stays while
/// it is its sync's latest, still running, or named by the checkpoint. Dead letters still waiting to be replayed (or
/// quarantined events not yet released or dropped) are work to do, and stay whatever their age.
/// </remarks>
public sealed class StateRetentionPruner
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _schema;
    private readonly StateRetention _retention;
    private readonly TimeProvider _time;

    public StateRetentionPruner(NpgsqlDataSource dataSource, string schema, StateRetention retention, TimeProvider time)
        : this(dataSource, new StateSchema(schema), retention, time)
    {
    }

    internal StateRetentionPruner(NpgsqlDataSource dataSource, StateSchema schema, StateRetention retention, TimeProvider time)
    {
        _dataSource = dataSource;
        _schema = schema.Name;
        _retention = retention;
        _time = time;
    }

    /// <summary>Rows per DELETE: small enough that each statement is brief, large enough that a pass is few of them.</summary>
    public int ChunkSize { get; init; } = 5_000;

    /// <summary>How many rows a prune would delete now (<c>sluice prune --dry-run</c>).</summary>
    public Task<StatePruneCount> CountAsync(CancellationToken ct) =>
        PostgresCall.RunAsync(PostgresCallContext.StateStore, async () =>
        {
            var now = _time.GetUtcNow();
            return new StatePruneCount(
                await CountAsync($"{_schema}.send_ledger WHERE {Sends}", _retention.Ledger, now, ct),
                await CountAsync($"{_schema}.runs r WHERE {Runs}", _retention.Runs, now, ct),
                await CountAsync($"{_schema}.dead_letters WHERE {DeadLetters}", _retention.DeadLetters, now, ct),
                await CountAsync($"{_schema}.audit_log WHERE {Audit}", _retention.Audit, now, ct),
                await CountAsync($"{_schema}.record_state WHERE {Records}", _retention.Records, now, ct));
        });

    /// <summary>Deletes everything older than its retention, chunk by chunk; returns how many rows of each kind.</summary>
    public Task<StatePruneCount> PruneAsync(CancellationToken ct) =>
        PostgresCall.RunAsync(PostgresCallContext.StateStore, async () =>
        {
            var now = _time.GetUtcNow();
            return new StatePruneCount(
                await ChunkedAsync(_retention.Ledger, now, cutoff => DeleteWatermarked("send_ledger", Sends, "acknowledged_at", "sends_pruned_through", cutoff), ct),
                await ChunkedAsync(_retention.Runs, now, DeleteRuns, ct),
                await ChunkedAsync(_retention.DeadLetters, now, cutoff => DeleteWatermarked("dead_letters", DeadLetters, "created_at", "dead_letters_pruned_through", cutoff), ct),
                await ChunkedAsync(_retention.Audit, now, cutoff => Delete("audit_log", Audit, cutoff), ct),
                await ChunkedAsync(_retention.Records, now, cutoff => Delete("record_state", Records, cutoff), ct));
        });

    private static string Sends => "acknowledged_at < $1";

    // Not the sync's latest run, not running, not the run its checkpoint names.
    private string Runs =>
        $"""
        r.finished_at < $1 AND r.status <> 'running'
        AND r.id < (SELECT max(l.id) FROM {_schema}.runs l WHERE l.sync_id = r.sync_id)
        AND NOT EXISTS (SELECT 1 FROM {_schema}.checkpoints c WHERE c.sync_id = r.sync_id AND c.run_id = r.id)
        """;

    private static string DeadLetters => "replayed_at IS NOT NULL AND replayed_at < $1";

    private static string Audit => "finished_at < $1";

    private static string Records =>
        "fingerprint IS NULL AND destination_id IS NULL AND status IS DISTINCT FROM 'quarantined' AND status IS DISTINCT FROM 'waiting' AND updated_at < $1";

    private async Task<long> CountAsync(string from, TimeSpan? retention, DateTimeOffset now, CancellationToken ct)
    {
        if (retention is not { } age)
        {
            return 0;
        }

        await using var command = _dataSource.CreateCommand($"SELECT count(*) FROM {from}");
        command.Parameters.Add(Cutoff(now - age));
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    private async Task<long> ChunkedAsync(TimeSpan? retention, DateTimeOffset now, Func<DateTimeOffset, string> sql, CancellationToken ct)
    {
        if (retention is not { } age)
        {
            return 0;
        }

        long deleted = 0;
        while (true)
        {
            // One statement per chunk, in its own implicit transaction: a lock is held on a chunk's rows, briefly.
            await using var command = _dataSource.CreateCommand(sql(now - age));
            command.Parameters.Add(Cutoff(now - age));
            command.Parameters.Add(new NpgsqlParameter { Value = ChunkSize });
            command.Parameters.Add(new NpgsqlParameter { Value = now.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            var chunk = Convert.ToInt64(await command.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
            deleted += chunk;
            if (chunk < ChunkSize)
            {
                return deleted;
            }
        }
    }

    private string Delete(string table, string condition, DateTimeOffset cutoff) =>
        $"""
        WITH gone AS (
            DELETE FROM {_schema}.{table} WHERE ctid = ANY (ARRAY (SELECT ctid FROM {_schema}.{table} WHERE {condition} LIMIT $2 FOR UPDATE SKIP LOCKED))
            RETURNING 1)
        SELECT count(*) FROM gone WHERE $3::timestamptz IS NOT NULL
        """;

    /// <summary>Deletes a chunk and moves each affected sync's watermark to the newest time it deleted, in one statement.</summary>
    private string DeleteWatermarked(string table, string condition, string timeColumn, string watermark, DateTimeOffset cutoff) =>
        $"""
        WITH gone AS (
            DELETE FROM {_schema}.{table} WHERE ctid = ANY (ARRAY (SELECT ctid FROM {_schema}.{table} WHERE {condition} LIMIT $2 FOR UPDATE SKIP LOCKED))
            RETURNING sync_id, {timeColumn} AS at),
        marked AS (
            INSERT INTO {_schema}.retention_watermarks AS w (sync_id, {watermark}, pruned_at)
            SELECT g.sync_id, max(g.at), $3 FROM gone g WHERE EXISTS (SELECT 1 FROM {_schema}.syncs s WHERE s.id = g.sync_id) GROUP BY g.sync_id
            ON CONFLICT (sync_id) DO UPDATE SET {watermark} = greatest(w.{watermark}, excluded.{watermark}), pruned_at = excluded.pruned_at)
        SELECT count(*) FROM gone
        """;

    /// <summary>Deletes a chunk of runs (their batches cascade) and adds what they counted to the sync's pruned totals.</summary>
    private string DeleteRuns(DateTimeOffset cutoff) =>
        $"""
        WITH gone AS (
            DELETE FROM {_schema}.runs WHERE ctid = ANY (ARRAY (SELECT r.ctid FROM {_schema}.runs r WHERE {Runs} LIMIT $2 FOR UPDATE SKIP LOCKED))
            RETURNING sync_id, finished_at, acknowledged, status),
        marked AS (
            INSERT INTO {_schema}.retention_watermarks AS w (sync_id, runs_pruned_through, pruned_runs_acknowledged, pruned_runs_failed, pruned_at)
            SELECT sync_id, max(finished_at), sum(acknowledged), count(*) FILTER (WHERE status = 'failed'), $3 FROM gone GROUP BY sync_id
            ON CONFLICT (sync_id) DO UPDATE SET runs_pruned_through = greatest(w.runs_pruned_through, excluded.runs_pruned_through),
                pruned_runs_acknowledged = w.pruned_runs_acknowledged + excluded.pruned_runs_acknowledged,
                pruned_runs_failed = w.pruned_runs_failed + excluded.pruned_runs_failed, pruned_at = excluded.pruned_at)
        SELECT count(*) FROM gone
        """;

    private static NpgsqlParameter Cutoff(DateTimeOffset cutoff) => new() { Value = cutoff.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz };
}
