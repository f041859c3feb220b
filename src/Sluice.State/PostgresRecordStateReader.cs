using System.Runtime.CompilerServices;
using Npgsql;
using Sluice.Core.State;
using Sluice.Postgres;

namespace Sluice.State;

/// <summary>
/// Streams a sync's stored fingerprints (and watched values) in key order — the ledger entries that have one — straight off the primary key index (the column is
/// <c>COLLATE "C"</c>): one row in memory at a time, and a snapshot taken when the read starts, so the
/// run's own commits, which only touch keys the merge has passed, do not disturb it. A key stored escaped (<see cref="StoredText"/>:
/// one a PostgreSQL table cannot hold, so never a diffing table source's) sorts by its stored form.
/// </summary>
internal sealed class PostgresRecordStateReader(NpgsqlDataSource dataSource, StateSchema schema, long syncId) : IRecordStateReader
{
    public async IAsyncEnumerable<RecordState> ReadAsync([EnumeratorCancellation] CancellationToken ct)
    {
        await using var connection = await PostgresCall.RunAsync(PostgresCallContext.StateStore, () => dataSource.OpenConnectionAsync(ct).AsTask());
        // Ledger entries without a fingerprint (a sync that does not diff, or switched from a cursor) are nothing to diff against.
        await using var command = new NpgsqlCommand($"SELECT record_key, fingerprint, watched_values::text, updated_at FROM {schema.Name}.record_state WHERE sync_id = $1 AND fingerprint IS NOT NULL ORDER BY record_key", connection)
        {
            // The read lasts as long as the source's: the driver's 30 s default would cut a long diff short.
            CommandTimeout = 0,
        };
        command.Parameters.Add(new NpgsqlParameter { Value = syncId });
        await using var reader = await PostgresCall.RunAsync(PostgresCallContext.StateStore, () => command.ExecuteReaderAsync(ct));
        while (await PostgresCall.RunAsync(PostgresCallContext.StateStore, () => reader.ReadAsync(ct)))
        {
            yield return Read(reader);
        }
    }

    /// <summary>The stored keys with a fingerprint, unsorted (no ORDER BY: the server reads them as they lie), for a diff that holds them in memory.</summary>
    public async IAsyncEnumerable<string> KeysAsync([EnumeratorCancellation] CancellationToken ct)
    {
        await using var connection = await PostgresCall.RunAsync(PostgresCallContext.StateStore, () => dataSource.OpenConnectionAsync(ct).AsTask());
        await using var command = new NpgsqlCommand($"SELECT record_key FROM {schema.Name}.record_state WHERE sync_id = $1 AND fingerprint IS NOT NULL", connection)
        {
            CommandTimeout = 0,
        };
        command.Parameters.Add(new NpgsqlParameter { Value = syncId });
        await using var reader = await PostgresCall.RunAsync(PostgresCallContext.StateStore, () => command.ExecuteReaderAsync(ct));
        while (await PostgresCall.RunAsync(PostgresCallContext.StateStore, () => reader.ReadAsync(ct)))
        {
            yield return StoredText.Read(reader.GetString(0));
        }
    }

    /// <summary>
    /// <see cref="KeysAsync"/> by binary COPY, each key's bytes handed on as they arrive: no string or driver value per
    /// key. The sync's id is written into the statement (COPY takes no parameters); it is a number.
    /// </summary>
    public async Task<bool> ReadKeysAsync(StoredKeyVisitor visit, CancellationToken ct)
    {
        await using var connection = await PostgresCall.RunAsync(PostgresCallContext.StateStore, () => dataSource.OpenConnectionAsync(ct).AsTask());
        var copy = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"COPY (SELECT record_key FROM {schema.Name}.record_state WHERE sync_id = {syncId} AND fingerprint IS NOT NULL) TO STDOUT (FORMAT binary)");
        return await PostgresCall.RunAsync(PostgresCallContext.StateStore, () => StoredKeyCopy.ReadAsync(connection, copy, visit, ct));
    }

    /// <summary>The stored records (with a fingerprint) among <paramref name="keys"/>, in one query off the primary key.</summary>
    public Task<IReadOnlyDictionary<string, RecordState>> FindAsync(IReadOnlyList<string> keys, CancellationToken ct) =>
        PostgresCall.RunAsync(PostgresCallContext.StateStore, async () =>
        {
            var stored = new string[keys.Count];
            for (var i = 0; i < stored.Length; i++)
            {
                stored[i] = StoredText.Store(keys[i]);
            }

            var found = new Dictionary<string, RecordState>(keys.Count, StringComparer.Ordinal);
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var command = new NpgsqlCommand(
                $"SELECT record_key, fingerprint, watched_values::text, updated_at FROM {schema.Name}.record_state WHERE sync_id = $1 AND record_key = ANY($2) AND fingerprint IS NOT NULL",
                connection);
            command.Parameters.Add(new NpgsqlParameter { Value = syncId });
            command.Parameters.Add(new NpgsqlParameter { Value = stored });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var state = Read(reader);
                found[state.Key] = state;
            }

            return (IReadOnlyDictionary<string, RecordState>)found;
        });

    /// <summary>For the diff of a source that cannot sort its keys: look-ups by key on a connection of its own (<see cref="PostgresDiffLookup"/>).</summary>
    public async Task<IDiffLookup> OpenLookupAsync(CancellationToken ct) =>
        await PostgresDiffLookup.OpenAsync(dataSource, schema, syncId, ct);

    private static RecordState Read(NpgsqlDataReader reader) =>
        new(StoredText.Read(reader.GetString(0)), reader.GetFieldValue<byte[]>(1))
        {
            Values = reader.IsDBNull(2) ? null : WatchedValuesJson.Read(reader.GetString(2)),
            StoredAt = reader.GetFieldValue<DateTimeOffset>(3),
        };
}
