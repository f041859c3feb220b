using Npgsql;
using Sluice.Core.Checkpoints;
using Sluice.State;

namespace Sluice.State.Ingest;

/// <summary>Where each named sync stands in the ingest queue, from its committed checkpoint.</summary>
internal static class IngestReaderPositions
{
    /// <summary>
    /// Every name of <paramref name="syncs"/> with its position: the start when it never committed a checkpoint (it
    /// will read every event still queued), or when its checkpoint is not an ingest queue position (its run refuses
    /// that checkpoint, so it has read nothing here).
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, IngestQueuePosition>> ReadAsync(
        NpgsqlDataSource dataSource, StateSchema schema, IEnumerable<string> syncs, CancellationToken ct)
    {
        var names = syncs.Distinct(StringComparer.Ordinal).ToArray();
        var result = names.ToDictionary(n => n, _ => IngestQueuePosition.Start, StringComparer.Ordinal);
        if (names.Length == 0)
        {
            return result;
        }

        await using var command = dataSource.CreateCommand(
            $"""
            SELECT s.name, c.format, c.version, c.value
            FROM {schema.Name}.syncs s JOIN {schema.Name}.checkpoints c ON c.sync_id = s.id
            WHERE s.name = ANY ($1)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = names });
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var checkpoint = new Checkpoint(reader.GetString(1), reader.GetInt32(2), reader.GetString(3));
            result[reader.GetString(0)] = IngestQueuePosition.TryParse(checkpoint) ?? IngestQueuePosition.Start;
        }

        return result;
    }

    /// <summary>The least advanced of <paramref name="positions"/>: everything at or before it every reader has read.</summary>
    public static IngestQueuePosition Oldest(IEnumerable<IngestQueuePosition> positions) =>
        positions.Aggregate((IngestQueuePosition?)null, (oldest, p) => oldest is null || Compare(p, oldest) < 0 ? p : oldest)
        ?? IngestQueuePosition.Start;

    public static int Compare(IngestQueuePosition a, IngestQueuePosition b) => (a.Xid, a.Position).CompareTo((b.Xid, b.Position));
}
