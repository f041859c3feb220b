using System.Globalization;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using Sluice.Postgres;
using Sluice.State;

namespace Sluice.State.Ingest;

public sealed partial class IngestQueue
{
    /// <summary>
    /// Applies one source's retention, in chunks of <see cref="IngestQueueOptions.PruneChunk"/> rows (one short
    /// statement each). An event older than the retention is deleted only once every reading sync's checkpoint is past
    /// it; the others are held back, for as long as it takes. Only <see cref="IngestRetention.MaxBacklog"/> deletes
    /// unread events (the oldest first), and each one is counted as lost for each reader that had not read it, in
    /// <c>ingest_losses</c>, in the transaction that deletes it. Processes pruning at once share the rows (SKIP LOCKED).
    /// </summary>
    public Task<IngestPruneResult> PruneAsync(IngestRetention retention, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(retention);
        return PostgresCall.RunAsync(PostgresCallContext.StateStore, () => PruneCoreAsync(retention, ct));
    }

    private async Task<IngestPruneResult> PruneCoreAsync(IngestRetention retention, CancellationToken ct)
    {
        var cutoff = _time.GetUtcNow() - retention.Retention;
        var deleted = await DeleteReadAsync(retention, cutoff, ct);
        var lost = new Dictionary<string, long>(StringComparer.Ordinal);
        if (retention.MaxBacklog is { } cap && await CapBoundaryAsync(retention.Source, cap, ct) is { } boundary)
        {
            deleted += await DeleteOverCapAsync(retention, boundary, lost, ct);
        }

        return new IngestPruneResult(retention.Source, deleted, await HeldBackByAsync(retention, cutoff, ct), lost);
    }

    /// <summary>Deletes the source's events older than the cutoff that every reader has read (all of them when none reads it).</summary>
    private async Task<long> DeleteReadAsync(IngestRetention retention, DateTimeOffset cutoff, CancellationToken ct)
    {
        long deleted = 0;
        while (true)
        {
            // Read again for each chunk: a reader only moves forward, so a fresher position deletes more, never wrongly.
            var readBy = retention.Readers.Count == 0 ? null
                : IngestReaderPositions.Oldest((await IngestReaderPositions.ReadAsync(_dataSource, _schema, retention.Readers, ct)).Values);
            await using var command = _dataSource.CreateCommand(
                $"""
                DELETE FROM {_schema.Name}.ingest_queue
                WHERE ctid = ANY (ARRAY (
                    SELECT ctid FROM {_schema.Name}.ingest_queue
                    WHERE source = $1 AND received_at < $2 {(readBy is null ? "" : "AND (xid, position) <= ($4, $5)")}
                    LIMIT $3 FOR UPDATE SKIP LOCKED))
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = retention.Source });
            command.Parameters.Add(new NpgsqlParameter { Value = cutoff.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            command.Parameters.Add(new NpgsqlParameter { Value = _options.PruneChunk });
            if (readBy is not null)
            {
                command.Parameters.Add(new NpgsqlParameter { Value = readBy.Xid, NpgsqlDbType = NpgsqlDbType.Xid8 });
                command.Parameters.Add(new NpgsqlParameter { Value = readBy.Position });
            }

            var chunk = await command.ExecuteNonQueryAsync(ct);
            deleted += chunk;
            if (chunk < _options.PruneChunk)
            {
                return deleted;
            }
        }
    }

    /// <summary>The newest event past the source's cap (it and everything before it go), or null when the source is within it.</summary>
    private async Task<IngestQueuePosition?> CapBoundaryAsync(string source, long cap, CancellationToken ct)
    {
        // Walks the newest `cap` index entries of the source: the price of a cap, paid once per pass.
        await using var command = _dataSource.CreateCommand(
            $"SELECT xid, position FROM {_schema.Name}.ingest_queue WHERE source = $1 ORDER BY xid DESC, position DESC OFFSET $2 LIMIT 1");
        command.Parameters.Add(new NpgsqlParameter { Value = source });
        command.Parameters.Add(new NpgsqlParameter { Value = cap });
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? new IngestQueuePosition(reader.GetFieldValue<ulong>(0), reader.GetInt64(1)) : null;
    }

    /// <summary>
    /// Deletes the source's events up to <paramref name="boundary"/>, read or not, and adds each reader's unread ones
    /// to its losses in the same statement, so that no event is deleted without being counted.
    /// </summary>
    private async Task<long> DeleteOverCapAsync(IngestRetention retention, IngestQueuePosition boundary, Dictionary<string, long> lost, CancellationToken ct)
    {
        long deleted = 0;
        while (true)
        {
            // A reader that reads an event in the moment between this read and the delete has it counted as lost too:
            // a loss may be over-counted, never missed.
            var positions = await IngestReaderPositions.ReadAsync(_dataSource, _schema, retention.Readers, ct);
            await using var command = _dataSource.CreateCommand(
                $"""
                WITH deleted AS (
                    DELETE FROM {_schema.Name}.ingest_queue
                    WHERE ctid = ANY (ARRAY (
                        SELECT ctid FROM {_schema.Name}.ingest_queue
                        WHERE source = $1 AND (xid, position) <= ($2, $3)
                        LIMIT $4 FOR UPDATE SKIP LOCKED))
                    RETURNING xid, position),
                readers AS (
                    SELECT r.sync, r.xid::xid8 AS xid, r.position FROM unnest($5::text[], $6::text[], $7::bigint[]) AS r(sync, xid, position)),
                lost AS (
                    SELECT r.sync, count(*) AS events FROM readers r JOIN deleted d ON (d.xid, d.position) > (r.xid, r.position) GROUP BY r.sync),
                counted AS (
                    INSERT INTO {_schema.Name}.ingest_losses AS l (source, sync, events, first_lost_at, last_lost_at)
                    SELECT $1, sync, events, $8, $8 FROM lost
                    ON CONFLICT (source, sync) DO UPDATE SET events = l.events + excluded.events, last_lost_at = excluded.last_lost_at)
                SELECT NULL, (SELECT count(*) FROM deleted)
                UNION ALL SELECT sync, events FROM lost
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = retention.Source });
            command.Parameters.Add(new NpgsqlParameter { Value = boundary.Xid, NpgsqlDbType = NpgsqlDbType.Xid8 });
            command.Parameters.Add(new NpgsqlParameter { Value = boundary.Position });
            command.Parameters.Add(new NpgsqlParameter { Value = _options.PruneChunk });
            command.Parameters.Add(new NpgsqlParameter { Value = positions.Keys.ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = positions.Values.Select(p => p.Xid.ToString(CultureInfo.InvariantCulture)).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = positions.Values.Select(p => p.Position).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = _time.GetUtcNow().UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            long chunk = 0;
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    if (reader.IsDBNull(0))
                    {
                        chunk = reader.GetInt64(1);
                    }
                    else
                    {
                        lost[reader.GetString(0)] = lost.GetValueOrDefault(reader.GetString(0)) + reader.GetInt64(1);
                    }
                }
            }

            deleted += chunk;
            if (chunk < _options.PruneChunk)
            {
                return deleted;
            }
        }
    }

    /// <summary>The readers whose oldest unread event is older than the cutoff: retention keeps it for them.</summary>
    private async Task<IReadOnlyList<string>> HeldBackByAsync(IngestRetention retention, DateTimeOffset cutoff, CancellationToken ct)
    {
        var behind = new List<string>();
        foreach (var (sync, position) in await IngestReaderPositions.ReadAsync(_dataSource, _schema, retention.Readers, ct))
        {
            await using var command = _dataSource.CreateCommand(
                $"""
                SELECT received_at < $4 FROM {_schema.Name}.ingest_queue
                WHERE source = $1 AND (xid, position) > ($2, $3) ORDER BY xid, position LIMIT 1
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = retention.Source });
            command.Parameters.Add(new NpgsqlParameter { Value = position.Xid, NpgsqlDbType = NpgsqlDbType.Xid8 });
            command.Parameters.Add(new NpgsqlParameter { Value = position.Position });
            command.Parameters.Add(new NpgsqlParameter { Value = cutoff.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            if (await command.ExecuteScalarAsync(ct) is true)
            {
                behind.Add(sync);
            }
        }

        return behind;
    }

    /// <summary>
    /// Applies every source's retention now and then, for as long as the queue lives; a failed pass is reported and
    /// retried on the next. Lost events are a warning on every pass that loses some; holding events back is a warning
    /// when it starts (and again when the set of syncs holding them changes), not on every pass.
    /// </summary>
    private async Task RetentionLoopAsync(CancellationToken ct)
    {
        var heldBack = new Dictionary<string, string>(StringComparer.Ordinal);
        while (!ct.IsCancellationRequested)
        {
            foreach (var retention in _options.Retention)
            {
                try
                {
                    var result = await PruneAsync(retention, ct);
                    foreach (var (level, line) in Describe(result, retention))
                    {
                        _options.Log?.Log(level, "{Line}", line);
                    }

                    var holders = string.Join(", ", result.HeldBackBy);
                    if (holders.Length > 0 && heldBack.GetValueOrDefault(retention.Source) != holders)
                    {
                        _options.Log?.LogWarning(
                            "warning: ingest source '{Source}': holding back events older than {Retention} that sync(s) {Holders} "
                            + "have not read yet; they are kept until read (see `sluice status` for the backlog; run the sync, or remove it from the config)",
                            retention.Source, retention.Retention, holders);
                    }

                    heldBack[retention.Source] = holders;
                }
                catch (Core.Errors.SluiceException e)
                {
                    _options.Log?.LogWarning("ingest source '{Source}': retention failed, will retry: {Error}", retention.Source, e.Message);
                }
            }

            await Task.Delay(_options.PruneInterval, _time, ct);
        }
    }

    private static IEnumerable<(LogLevel Level, string Line)> Describe(IngestPruneResult result, IngestRetention retention)
    {
        if (result.Lost.Count > 0)
        {
            var lost = string.Join(", ", result.Lost.OrderBy(l => l.Key, StringComparer.Ordinal)
                .Select(l => string.Create(CultureInfo.InvariantCulture, $"{l.Value:N0} of them had not been read by sync {l.Key}")));
            yield return (LogLevel.Warning, string.Create(CultureInfo.InvariantCulture,
                $"warning: ingest source '{result.Source}': over max_backlog {retention.MaxBacklog:N0}, dropped the oldest events ({result.Deleted:N0} in all); ")
                + lost + ": lost for it (counted in `sluice status` and sluice_ingest_events_lost_total; raise 'max_backlog:' or keep the syncs running)");
        }
        else if (result.Deleted > 0)
        {
            yield return (LogLevel.Information, string.Create(CultureInfo.InvariantCulture, $"ingest source '{result.Source}': dropped {result.Deleted:N0} events older than {retention.Retention}")
                + (retention.Readers.Count == 0 ? " (no sync in the config reads this source)" : ", read by every sync that reads it"));
        }
    }
}
