using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Sluice.Server.Metrics;

namespace Sluice.Server.Notifications;

/// <summary>
/// Decides, for one sync, whether its health changed since the last message, and sends it once. Under the sync's row
/// in <c>notify_state</c> (<c>SELECT … FOR UPDATE SKIP LOCKED</c>: with several <c>sluice run</c> processes one decides
/// at a time, the others skip), it compares the kinds of reason now with those stored, sends the message, records the
/// new state and commits. A reading older than the recorded change is stale (another process saw later) and changes
/// nothing. A send that fails leaves the state as it was, so the next check tries again; a commit that fails after a
/// send may repeat that one message.
/// </summary>
internal sealed class NotifyEvaluator(NpgsqlDataSource state, string schema, WebhookSender sender)
{
    /// <summary>The kinds of reason that come from the last finished run (<see cref="SyncHealth.Reasons"/>).</summary>
    private static readonly HashSet<string> RunOutcomes = new(["failed", "max_rejected", "dead_letters_added"], StringComparer.Ordinal);

    /// <summary>The change sent, or null when nothing changed (or another process holds the sync).</summary>
    public async Task<HealthChange?> EvaluateAsync(SyncHealth sync, DateTimeOffset at, CancellationToken ct)
    {
        await using var connection = await state.OpenConnectionAsync(ct);
        await using (var create = new NpgsqlCommand($"INSERT INTO {schema}.notify_state (sync) VALUES ($1) ON CONFLICT DO NOTHING", connection))
        {
            create.Parameters.Add(new NpgsqlParameter { Value = sync.Name });
            await create.ExecuteNonQueryAsync(ct);
        }

        await using var transaction = await connection.BeginTransactionAsync(ct);
        string stored;
        IReadOnlyList<string> previous;
        await using (var select = new NpgsqlCommand($"SELECT state, reasons::text, changed_at FROM {schema}.notify_state WHERE sync = $1 FOR UPDATE SKIP LOCKED", connection, transaction))
        {
            select.Parameters.Add(new NpgsqlParameter { Value = sync.Name });
            await using var reader = await select.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct))
            {
                return null;
            }

            stored = reader.GetString(0);
            previous = JsonSerializer.Deserialize(reader.GetString(1), NotifyStateJson.Default.StringList) ?? [];
            if (!reader.IsDBNull(2) && reader.GetFieldValue<DateTimeOffset>(2) > at)
            {
                return null;
            }
        }

        var reasons = sync.Reasons;
        var kinds = reasons.Select(r => r.Kind).ToList();
        if (sync.Status?.LastRunStatus == "running")
        {
            // A run in progress has no outcome yet: what the last finished run said still holds, rather than a
            // "recovered" and a "failed" again around every run of a failing sync.
            kinds.AddRange(previous.Where(RunOutcomes.Contains));
        }

        kinds = [.. kinds.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        var now = HealthChange.StateOf(kinds);
        if (now == stored)
        {
            return null;
        }

        var change = new HealthChange(sync.Name, reasons, previous, at);
        try
        {
            await sender.SendAsync(change, ct);
        }
        catch (Core.Errors.SluiceException e)
        {
            await using var failed = new NpgsqlCommand($"UPDATE {schema}.notify_state SET last_error = $2 WHERE sync = $1", connection, transaction);
            failed.Parameters.Add(new NpgsqlParameter { Value = sync.Name });
            failed.Parameters.Add(new NpgsqlParameter { Value = e.Message });
            await failed.ExecuteNonQueryAsync(ct);
            await transaction.CommitAsync(ct);
            throw;
        }

        await using (var update = new NpgsqlCommand(
            $"UPDATE {schema}.notify_state SET state = $2, reasons = $3, changed_at = $4, messages = messages + 1, last_error = NULL WHERE sync = $1", connection, transaction))
        {
            update.Parameters.Add(new NpgsqlParameter { Value = sync.Name });
            update.Parameters.Add(new NpgsqlParameter { Value = now });
            update.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.Serialize(kinds, NotifyStateJson.Default.StringList), NpgsqlDbType = NpgsqlDbType.Jsonb });
            update.Parameters.Add(new NpgsqlParameter { Value = at.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            await update.ExecuteNonQueryAsync(ct);
        }

        await transaction.CommitAsync(ct);
        return change;
    }
}
