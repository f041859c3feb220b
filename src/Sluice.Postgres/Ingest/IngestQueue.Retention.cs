using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using Sluice.Core.Checkpoints;
using Sluice.Postgres.State;

namespace Sluice.Postgres.Ingest;

public sealed partial class IngestQueue
{
    /// <summary>
    /// Deletes the source's events received longer ago than its retention, in chunks of
    /// <see cref="IngestQueueOptions.PruneChunk"/> rows (one short statement each). Events are dropped whether or not
    /// every sync has read them: a sync stopped for longer than the retention loses the oldest events, and the result
    /// says how many of the dropped events were still unread. Processes pruning at once share the rows (SKIP LOCKED).
    /// </summary>
    public Task<IngestPruneResult> PruneAsync(IngestRetention retention, CancellationToken ct) =>
        StateErrors.GuardAsync(() => PruneCoreAsync(retention, ct));

    private async Task<IngestPruneResult> PruneCoreAsync(IngestRetention retention, CancellationToken ct)
    {
        var cutoff = _time.GetUtcNow() - retention.Retention;
        var oldestRead = await OldestReadAsync(retention.Readers, ct);
        long deleted = 0, unread = 0;
        while (true)
        {
            await using var command = _dataSource.CreateCommand(
                $"""
                WITH deleted AS (
                    DELETE FROM {_schema.Name}.ingest_queue
                    WHERE ctid = ANY (ARRAY (
                        SELECT ctid FROM {_schema.Name}.ingest_queue
                        WHERE source = $1 AND received_at < $2
                        LIMIT $3 FOR UPDATE SKIP LOCKED))
                    RETURNING xid, position)
                SELECT count(*), count(*) FILTER (WHERE (xid, position) > ($4, $5)) FROM deleted
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = retention.Source });
            command.Parameters.Add(new NpgsqlParameter { Value = cutoff.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            command.Parameters.Add(new NpgsqlParameter { Value = _options.PruneChunk });
            command.Parameters.Add(new NpgsqlParameter { Value = oldestRead.Xid, NpgsqlDbType = NpgsqlDbType.Xid8 });
            command.Parameters.Add(new NpgsqlParameter { Value = oldestRead.Position });
            await using var reader = await command.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            var chunk = reader.GetInt64(0);
            deleted += chunk;
            unread += reader.GetInt64(1);
            if (chunk < _options.PruneChunk)
            {
                return new IngestPruneResult(retention.Source, deleted, unread);
            }
        }
    }

    /// <summary>
    /// The least advanced position among the source's readers: the start when one of them has never stored a
    /// checkpoint (or there are none), so that every dropped event counts as unread.
    /// </summary>
    private async Task<IngestQueuePosition> OldestReadAsync(IReadOnlyList<string> readers, CancellationToken ct)
    {
        if (readers.Count == 0)
        {
            return IngestQueuePosition.Start;
        }

        await using var command = _dataSource.CreateCommand(
            $"""
            SELECT c.format, c.version, c.value
            FROM unnest($1::text[]) AS r(name)
            LEFT JOIN {_schema.Name}.syncs s ON s.name = r.name
            LEFT JOIN {_schema.Name}.checkpoints c ON c.sync_id = s.id
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = readers.ToArray() });
        await using var reader = await command.ExecuteReaderAsync(ct);
        IngestQueuePosition? oldest = null;
        while (await reader.ReadAsync(ct))
        {
            var position = reader.IsDBNull(0)
                ? IngestQueuePosition.Start
                : IngestQueuePosition.TryParse(new Checkpoint(reader.GetString(0), reader.GetInt32(1), reader.GetString(2))) ?? IngestQueuePosition.Start;
            if (oldest is null || (position.Xid, position.Position).CompareTo((oldest.Xid, oldest.Position)) < 0)
            {
                oldest = position;
            }
        }

        return oldest ?? IngestQueuePosition.Start;
    }

    /// <summary>Applies every source's retention now and then, for as long as the queue lives; a failed pass is reported and retried on the next.</summary>
    private async Task RetentionLoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            foreach (var retention in _options.Retention)
            {
                try
                {
                    var result = await PruneAsync(retention, ct);
                    if (result.Deleted > 0)
                    {
                        _options.Log?.Invoke(Describe(result, retention));
                    }
                }
                catch (Core.Errors.SluiceException e)
                {
                    _options.Log?.Invoke($"ingest source '{retention.Source}': retention failed, will retry: {e.Message}");
                }
            }

            await Task.Delay(_options.PruneInterval, _time, ct);
        }
    }

    private static string Describe(IngestPruneResult result, IngestRetention retention)
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"ingest source '{result.Source}': dropped {result.Deleted:N0} events older than {retention.Retention}");
        return result.Unread == 0 ? text
            : retention.Readers.Count == 0 ? text + " (no sync reads this source)"
            : string.Create(CultureInfo.InvariantCulture, $"{text}; {result.Unread:N0} of them had not been read by sync(s) {string.Join(", ", retention.Readers)}: they are lost for them (raise 'retention:' or keep the syncs running)");
    }
}
