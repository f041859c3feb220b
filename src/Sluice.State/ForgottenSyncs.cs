using Npgsql;
using Sluice.Postgres;

namespace Sluice.State;

/// <summary>
/// The history the state store keeps for syncs the config no longer declares: what <c>sluice prune --state</c> lists
/// and deletes.
/// </summary>
public static class ForgottenSyncs
{
    /// <summary>
    /// Syncs the state store at <paramref name="schema"/> has history for that <paramref name="declared"/> does not name
    /// (a backfill's state, <c>name#backfill</c>, goes with its sync).
    /// </summary>
    public static async Task<IReadOnlyList<string>> FindAsync(NpgsqlDataSource state, string schema, IReadOnlySet<string> declared, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(declared);
        var names = new List<string>();
        var stateSchema = new StateSchema(schema);
        return await PostgresCall.RunAsync(PostgresCallContext.StateStoreIn(schema), async () =>
        {
            await using (var exists = state.CreateCommand("SELECT to_regclass($1) IS NOT NULL"))
            {
                exists.Parameters.Add(new NpgsqlParameter { Value = $"{stateSchema.Name}.syncs" });
                if (await exists.ExecuteScalarAsync(ct) is not true)
                {
                    return names;
                }
            }

            await using var command = state.CreateCommand($"SELECT name FROM {stateSchema.Name}.syncs ORDER BY name");
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var name = reader.GetString(0);
                var hash = name.IndexOf('#', StringComparison.Ordinal);
                if (!declared.Contains(hash < 0 ? name : name[..hash]))
                {
                    names.Add(name);
                }
            }

            return names;
        });
    }

    /// <summary>
    /// Deletes a sync's checkpoint, runs, send ledger, dead letters and record state. The audit log stays: it records
    /// what was sent, and outlives the sync by design.
    /// </summary>
    public static async Task ForgetAsync(NpgsqlDataSource state, string schema, string syncName, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(state);
        var stateSchema = new StateSchema(schema);
        await PostgresCall.RunAsync(PostgresCallContext.StateStoreIn(schema), async () =>
        {
            await using var connection = await state.OpenConnectionAsync(ct);
            // One statement, so one transaction. The send ledger and the record ledger have no foreign key to cascade
            // along (a per-row check would cost every commit); everything else goes with the syncs row.
            await using var command = new NpgsqlCommand(
                $"""
                WITH gone AS (DELETE FROM {stateSchema.Name}.syncs WHERE name = $1 RETURNING id),
                     sent AS (DELETE FROM {stateSchema.Name}.send_ledger WHERE sync_id IN (SELECT id FROM gone))
                DELETE FROM {stateSchema.Name}.record_state WHERE sync_id IN (SELECT id FROM gone)
                """, connection);
            command.Parameters.Add(new NpgsqlParameter { Value = syncName });
            await command.ExecuteNonQueryAsync(ct);
        });
    }
}
