using Npgsql;
using Sluice.Core.State;
using Sluice.Postgres;

namespace Sluice.State;

/// <summary>What two-way pairs last agreed on (<c>two_way_records</c>), one statement per call on the primary key.</summary>
public sealed class PostgresPairedRecords(NpgsqlDataSource dataSource, string schema) : IPairedRecordReader
{
    private readonly StateSchema _schema = new(schema);

    public Task<IReadOnlyDictionary<string, IReadOnlyDictionary<string, string?>>> ReadAsync(string pair, IReadOnlyCollection<string> links, CancellationToken ct) =>
        PostgresCall.RunAsync(PostgresCallContext.StateStore, async () =>
        {
            var found = new Dictionary<string, IReadOnlyDictionary<string, string?>>(links.Count, StringComparer.Ordinal);
            if (links.Count == 0)
            {
                return (IReadOnlyDictionary<string, IReadOnlyDictionary<string, string?>>)found;
            }

            await using var command = dataSource.CreateCommand($"SELECT link, agreed::text FROM {_schema.Name}.two_way_records WHERE pair = $1 AND link = ANY($2::text[])");
            command.Parameters.Add(new NpgsqlParameter { Value = pair });
            command.Parameters.Add(new NpgsqlParameter { Value = links.Select(StoredText.Store).Distinct(StringComparer.Ordinal).ToArray() });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                found[StoredText.Read(reader.GetString(0))] = WatchedValuesJson.Read(reader.GetString(1));
            }

            return found;
        });
}
