using Npgsql;
using Sluice.Core.State;
using Sluice.Postgres;

namespace Sluice.State;

/// <summary>
/// Finds a sync's ledger entries by key: one statement per call (<c>record_key = ANY($2)</c>, on the primary key),
/// however many keys the batch holds.
/// </summary>
internal sealed class PostgresRecordStateLookup(NpgsqlDataSource dataSource, StateSchema schema, long syncId) : IRecordStateLookup
{
    public Task<IReadOnlyDictionary<string, RecordState>> FindAsync(IReadOnlyCollection<string> keys, CancellationToken ct) =>
        PostgresCall.RunAsync(PostgresCallContext.StateStore, () => FindCoreAsync(keys, ct));

    public Task<bool> AnyAsync(CancellationToken ct) =>
        PostgresCall.RunAsync(PostgresCallContext.StateStore, async () =>
        {
            await using var command = dataSource.CreateCommand($"SELECT EXISTS (SELECT 1 FROM {schema.Name}.record_state WHERE sync_id = $1)");
            command.Parameters.Add(new NpgsqlParameter { Value = syncId });
            return (bool)(await command.ExecuteScalarAsync(ct))!;
        });

    private async Task<IReadOnlyDictionary<string, RecordState>> FindCoreAsync(IReadOnlyCollection<string> keys, CancellationToken ct)
    {
        var found = new Dictionary<string, RecordState>(keys.Count, StringComparer.Ordinal);
        if (keys.Count == 0)
        {
            return found;
        }

        await using var command = dataSource.CreateCommand(
            $"""
            SELECT record_key, fingerprint, watched_values::text, updated_at, status, destination_id, origin, run_id
            FROM {schema.Name}.record_state WHERE sync_id = $1 AND record_key = ANY($2::text[])
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = syncId });
        command.Parameters.Add(new NpgsqlParameter { Value = keys.Select(StoredText.Store).Distinct(StringComparer.Ordinal).ToArray() });
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var entry = StoredRecordStateRow.Read(reader);
            found[entry.Key] = entry;
        }

        return found;
    }
}
