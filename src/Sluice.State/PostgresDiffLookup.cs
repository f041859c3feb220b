using System.Runtime.CompilerServices;
using Npgsql;
using NpgsqlTypes;
using Sluice.Core.State;
using Sluice.Postgres;

namespace Sluice.State;

/// <summary>
/// One diff's look-ups of a sync's stored records by key, on a connection of its own that keeps, in a temporary
/// table, every key the read returned: each chunk is looked up (<c>record_key = ANY($2)</c>, one query off the primary
/// key) and copied in (binary COPY); at the end one anti-join streams the stored records never seen — the deleted ones.
/// </summary>
/// <remarks>
/// Why a temporary table of seen keys rather than a run stamp on <c>record_state</c>: stamping rewrites every stored row
/// on every run (its WAL, twice the table in dead tuples until vacuum), cannot be done by a dry run that must not write
/// the state, and measured slower (1M keys: ~20 s of UPDATEs vs ~7 s of look-ups and inserts, plus ~2.5 s for the
/// anti-join either way). A temporary table writes no WAL, is seen by this session only, and goes with it. It has no
/// index: a unique one would catch a repeated key at once but costs a B-tree insert per key (~16 s for 1M); a repeated
/// key is looked for once, with one GROUP BY, before any delete is handed on. Memory in this process: one chunk; the
/// server hashes or sorts within <c>work_mem</c>, spilling to disk.
/// </remarks>
internal sealed class PostgresDiffLookup : IDiffLookup
{
    private const string Seen = "pg_temp.sluice_seen_keys";

    private readonly NpgsqlConnection _connection;
    private readonly StateSchema _schema;
    private readonly long? _syncId;

    private PostgresDiffLookup(NpgsqlConnection connection, StateSchema schema, long? syncId)
    {
        _connection = connection;
        _schema = schema;
        _syncId = syncId;
    }

    /// <param name="syncId">The sync's id; <c>null</c> for a sync the store has never seen, which has nothing stored.</param>
    public static async Task<PostgresDiffLookup> OpenAsync(NpgsqlDataSource dataSource, StateSchema schema, long? syncId, CancellationToken ct)
    {
        var connection = await PostgresCall.RunAsync(PostgresCallContext.StateStore, () => dataSource.OpenConnectionAsync(ct).AsTask());
        try
        {
            await using var create = new NpgsqlCommand($"DROP TABLE IF EXISTS {Seen}; CREATE TEMP TABLE sluice_seen_keys (record_key text COLLATE \"C\" NOT NULL)", connection);
            await PostgresCall.RunAsync(PostgresCallContext.StateStore, () => create.ExecuteNonQueryAsync(ct));
            return new PostgresDiffLookup(connection, schema, syncId);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public Task<IReadOnlyDictionary<string, RecordState>> FindAsync(IReadOnlyList<string> keys, CancellationToken ct) =>
        PostgresCall.RunAsync(PostgresCallContext.StateStore, async () =>
        {
            var stored = new string[keys.Count];
            for (var i = 0; i < stored.Length; i++)
            {
                stored[i] = StoredText.Store(keys[i]);
            }

            var found = new Dictionary<string, RecordState>(StringComparer.Ordinal);
            if (_syncId is { } syncId)
            {
                await using var select = new NpgsqlCommand($"SELECT {Columns} FROM {_schema.Name}.record_state WHERE sync_id = $1 AND record_key = ANY($2)", _connection);
                select.Parameters.Add(new NpgsqlParameter { Value = syncId });
                select.Parameters.Add(new NpgsqlParameter { Value = stored });
                await using var reader = await select.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    var state = Read(reader);
                    found[state.Key] = state;
                }
            }

            await using var copy = await _connection.BeginBinaryImportAsync($"COPY {Seen} (record_key) FROM STDIN (FORMAT BINARY)", ct);
            foreach (var key in stored)
            {
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(key, NpgsqlDbType.Text, ct);
            }

            await copy.CompleteAsync(ct);
            return (IReadOnlyDictionary<string, RecordState>)found;
        });

    public Task<string?> RepeatedKeyAsync(CancellationToken ct) =>
        PostgresCall.RunAsync(PostgresCallContext.StateStore, async () =>
        {
            // Statistics first (autovacuum never analyzes a temporary table): the anti-join that follows is planned on them.
            await using var command = new NpgsqlCommand($"ANALYZE {Seen}; SELECT record_key FROM {Seen} GROUP BY record_key HAVING count(*) > 1 LIMIT 1", _connection)
            {
                CommandTimeout = 0,
            };
            return await command.ExecuteScalarAsync(ct) is string repeated ? StoredText.Read(repeated) : null;
        });

    public async IAsyncEnumerable<RecordState> UnseenAsync([EnumeratorCancellation] CancellationToken ct)
    {
        if (_syncId is not { } syncId)
        {
            yield break;
        }

        await using var command = new NpgsqlCommand(
            $"SELECT {Columns} FROM {_schema.Name}.record_state r WHERE r.sync_id = $1 AND NOT EXISTS (SELECT 1 FROM {Seen} s WHERE s.record_key = r.record_key)",
            _connection)
        {
            // As long as there are stored records to compare: the driver's 30 s default would cut a large diff short.
            CommandTimeout = 0,
        };
        command.Parameters.Add(new NpgsqlParameter { Value = syncId });
        await using var reader = await PostgresCall.RunAsync(PostgresCallContext.StateStore, () => command.ExecuteReaderAsync(ct));
        while (await PostgresCall.RunAsync(PostgresCallContext.StateStore, () => reader.ReadAsync(ct)))
        {
            yield return Read(reader);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await using var drop = new NpgsqlCommand($"DROP TABLE IF EXISTS {Seen}", _connection);
            await drop.ExecuteNonQueryAsync();
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            // A broken connection (or one still reading after a failure) is closed below; the session's temporary
            // table goes with it, and a pooled connection's reset (DISCARD ALL) drops it too.
        }

        await _connection.DisposeAsync();
    }

    private const string Columns = "record_key, fingerprint, watched_values::text, updated_at";

    private static RecordState Read(NpgsqlDataReader reader) =>
        new(StoredText.Read(reader.GetString(0)), reader.GetFieldValue<byte[]>(1))
        {
            Values = reader.IsDBNull(2) ? null : WatchedValuesJson.Read(reader.GetString(2)),
            StoredAt = reader.GetFieldValue<DateTimeOffset>(3),
        };
}
