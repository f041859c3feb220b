using System.Text.Json;
using Npgsql;

namespace Sluice.Testing.Fuzz;

/// <summary>
/// The promise of the ingest path, checked in the database: every call answered 200 is in the ingest queue, and
/// every queued event of the source either landed in each destination or is a dead letter of that destination's
/// sync (with a reason). The events table is keyed by the queue's <c>event_id</c>; the warehouse by the call's
/// <c>messageId</c>, in the table of its type.
/// </summary>
public sealed class IngestLandingCheck(NpgsqlDataSource db, IngestLandingTargets targets)
{
    private static readonly Dictionary<string, string> WarehouseTables = new(StringComparer.Ordinal)
    {
        ["track"] = "tracks",
        ["identify"] = "identifies",
        ["page"] = "pages",
        ["screen"] = "screens",
        ["group"] = "groups",
        ["alias"] = "aliases",
    };

    /// <summary>Every broken promise, one line each (empty when all hold), and what was counted.</summary>
    public async Task<IngestLandingReport> CheckAsync(IReadOnlyCollection<HostileCall> accepted, CancellationToken ct = default)
    {
        var violations = new List<string>();
        var queued = await QueuedAsync(ct);
        var queuedIds = queued.Select(q => q.MessageId).ToHashSet(StringComparer.Ordinal);
        foreach (var call in accepted.Where(c => !queuedIds.Contains(c.MessageId)))
        {
            violations.Add($"{call.Type} {call.MessageId}: answered 200 but not in the ingest queue");
        }

        var inEventsTable = await StringsAsync($"SELECT event_id::text FROM {targets.EventsTable}", ct);
        var eventsLetters = await DeadLettersAsync(targets.EventsSync, ct);
        var warehouseLetters = await DeadLettersAsync(targets.WarehouseSync, ct);
        var inWarehouse = new HashSet<string>(StringComparer.Ordinal);
        foreach (var table in WarehouseTables.Values)
        {
            inWarehouse.UnionWith(await StringsAsync($"SELECT id FROM {targets.WarehouseSchema}.{table}", ct));
        }

        int landedEvents = 0, landedWarehouse = 0;
        foreach (var row in queued)
        {
            if (inEventsTable.Contains(row.EventId))
            {
                landedEvents++;
            }
            else if (!eventsLetters.Contains(row.EventId))
            {
                violations.Add($"{row.Type} {row.MessageId} (event {row.EventId}): neither in {targets.EventsTable} nor dead-lettered by {targets.EventsSync}");
            }

            if (inWarehouse.Contains(row.MessageId))
            {
                landedWarehouse++;
            }
            else if (!warehouseLetters.Contains(row.EventId))
            {
                violations.Add($"{row.Type} {row.MessageId} (event {row.EventId}): neither in {targets.WarehouseSchema}.{WarehouseTables.GetValueOrDefault(row.Type, "?")} nor dead-lettered by {targets.WarehouseSync}");
            }
        }

        return new IngestLandingReport(violations, queued.Count, landedEvents, eventsLetters.Count, landedWarehouse, warehouseLetters.Count);
    }

    private async Task<List<(string EventId, string Type, string MessageId)>> QueuedAsync(CancellationToken ct)
    {
        await using var command = db.CreateCommand($"SELECT event_id::text, type, payload FROM {targets.StateSchema}.ingest_queue WHERE source = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = targets.Source });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<(string, string, string)>();
        while (await reader.ReadAsync(ct))
        {
            using var payload = JsonDocument.Parse(reader.GetFieldValue<byte[]>(2));
            var messageId = payload.RootElement.TryGetProperty("messageId", out var id) ? id.GetString() ?? "" : "";
            rows.Add((reader.GetString(0), reader.GetString(1), messageId));
        }

        return rows;
    }

    private async Task<HashSet<string>> DeadLettersAsync(string sync, CancellationToken ct)
    {
        await using var command = db.CreateCommand(
            $"SELECT d.record_key FROM {targets.StateSchema}.dead_letters d JOIN {targets.StateSchema}.syncs s ON s.id = d.sync_id WHERE s.name = $1 AND d.reason <> ''");
        command.Parameters.Add(new NpgsqlParameter { Value = sync });
        return await ReadStringsAsync(command, ct);
    }

    private async Task<HashSet<string>> StringsAsync(string sql, CancellationToken ct)
    {
        try
        {
            await using var command = db.CreateCommand(sql);
            return await ReadStringsAsync(command, ct);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName)
        {
            // Not created yet: no event of that type landed.
            return [];
        }
    }

    private static async Task<HashSet<string>> ReadStringsAsync(NpgsqlCommand command, CancellationToken ct)
    {
        await using var reader = await command.ExecuteReaderAsync(ct);
        var values = new HashSet<string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(ct))
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }
}
