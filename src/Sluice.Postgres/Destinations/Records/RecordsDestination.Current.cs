using Npgsql;
using Sluice.Core.Connectors;

namespace Sluice.Postgres.Destinations.Records;

internal sealed partial class RecordsDestination : ICurrentRecords
{
    /// <summary>
    /// What the table holds now for rows by key (a two-way pair's look at this side before it writes): one
    /// <c>SELECT key, columns…, modified … WHERE key::text = ANY(@keys)</c>.
    /// </summary>
    public Task<IReadOnlyDictionary<string, CurrentRecord>> ReadCurrentAsync(
        IReadOnlyCollection<string> ids, IReadOnlyList<string> fields, string modifiedField, CancellationToken ct) =>
        PostgresCall.RunAsync(PostgresCallContext.Connection(_connection.Describe()), async () =>
        {
            var columns = string.Join(", ", fields.Select(SqlNames.Quote));
            var key = SqlNames.Quote(_options.Key);
            await using var command = _dataSource.CreateCommand(
                $"SELECT {key}::text, {SqlNames.Quote(modifiedField)}, {columns} FROM {_options.QualifiedTable} WHERE {key}::text = ANY($1)");
            command.Parameters.Add(new NpgsqlParameter { Value = ids.ToArray() });
            var found = new Dictionary<string, CurrentRecord>(ids.Count, StringComparer.Ordinal);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var values = new Dictionary<string, object?>(fields.Count, StringComparer.Ordinal);
                for (var i = 0; i < fields.Count; i++)
                {
                    values[fields[i]] = reader.IsDBNull(i + 2) ? null : reader.GetValue(i + 2);
                }

                var modified = reader.IsDBNull(1) ? null : reader.GetValue(1) switch
                {
                    DateTime t => new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)),
                    DateTimeOffset t => t,
                    _ => (DateTimeOffset?)null,
                };
                found[reader.GetString(0)] = new CurrentRecord(values, modified);
            }

            return (IReadOnlyDictionary<string, CurrentRecord>)found;
        });
}
