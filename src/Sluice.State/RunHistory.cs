using Npgsql;
using Sluice.Postgres;

namespace Sluice.State;

/// <summary>
/// The runs of syncs, latest first, for the dashboard: one sync's history, and the last few runs of every sync (its
/// records-per-run chart). Every query walks <c>runs_by_sync</c> (sync, id descending) with a LIMIT, so a page costs
/// the same with ten runs or ten million.
/// </summary>
public sealed class RunHistory(NpgsqlDataSource dataSource, string schema = "sluice")
{
    private const string Columns = "r.id, r.kind, r.status, r.started_at, r.finished_at, r.records_read, r.acknowledged, r.rejected, r.batches, r.error";

    private readonly string _schema = SqlNames.Quote(schema);

    /// <summary>The latest <paramref name="limit"/> runs of <paramref name="syncName"/>, latest first; none for a sync that never ran.</summary>
    public Task<IReadOnlyList<StoredRun>> LatestAsync(string syncName, int limit, CancellationToken ct) =>
        PostgresCall.RunAsync(PostgresCallContext.StateStore, async () =>
        {
            await using var command = dataSource.CreateCommand(
                $"""
                SELECT {Columns}
                FROM {_schema}.syncs s JOIN LATERAL (SELECT * FROM {_schema}.runs r WHERE r.sync_id = s.id ORDER BY r.id DESC LIMIT $2) r ON true
                WHERE s.name = $1
                ORDER BY r.id DESC
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = syncName });
            command.Parameters.Add(new NpgsqlParameter { Value = limit });
            var runs = new List<StoredRun>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                runs.Add(Read(reader, 0));
            }

            return (IReadOnlyList<StoredRun>)runs;
        });

    /// <summary>The latest <paramref name="perSync"/> runs of every sync the store knows, latest first, by sync name.</summary>
    public Task<IReadOnlyDictionary<string, IReadOnlyList<StoredRun>>> LatestOfEverySyncAsync(int perSync, CancellationToken ct) =>
        PostgresCall.RunAsync(PostgresCallContext.StateStore, async () =>
        {
            await using var command = dataSource.CreateCommand(
                $"""
                SELECT s.name, {Columns}
                FROM {_schema}.syncs s CROSS JOIN LATERAL (SELECT * FROM {_schema}.runs r WHERE r.sync_id = s.id ORDER BY r.id DESC LIMIT $1) r
                ORDER BY s.name, r.id DESC
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = perSync });
            var runs = new Dictionary<string, List<StoredRun>>(StringComparer.Ordinal);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var name = reader.GetString(0);
                if (!runs.TryGetValue(name, out var list))
                {
                    runs[name] = list = [];
                }

                list.Add(Read(reader, 1));
            }

            return (IReadOnlyDictionary<string, IReadOnlyList<StoredRun>>)runs.ToDictionary(r => r.Key, r => (IReadOnlyList<StoredRun>)r.Value, StringComparer.Ordinal);
        });

    private static StoredRun Read(NpgsqlDataReader reader, int at) => new(
        reader.GetInt64(at),
        reader.GetString(at + 1),
        reader.GetString(at + 2),
        reader.GetFieldValue<DateTimeOffset>(at + 3),
        reader.IsDBNull(at + 4) ? null : reader.GetFieldValue<DateTimeOffset>(at + 4),
        reader.GetInt64(at + 5),
        reader.GetInt64(at + 6),
        reader.GetInt64(at + 7),
        reader.GetInt64(at + 8),
        reader.IsDBNull(at + 9) ? null : StoredText.Read(reader.GetString(at + 9)));
}
