using System.Data;
using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using Sluice.Core.Engine.Processing;
using Sluice.Core.Records;

namespace Sluice.Postgres.Processors;

/// <summary>
/// A sync's <c>lookup:</c> in PostgreSQL: for each batch, one query with the batch's distinct keys as <c>@keys</c>; a record
/// whose key has a row passes with the row's columns added (<see cref="ProcessorDecision.Enrich"/>), one without is
/// skipped with the reason (<c>no match in app for Email 'x'</c>): handled, not sent, not an error. A record with no key
/// is skipped the same way.
/// </summary>
internal sealed class PostgresLookupProcessor(NpgsqlDataSource dataSource, PostgresLookupOptions options) : IEnrichingProcessor, IRecordLookup
{
    private IReadOnlyList<SourceColumn>? _columns;

    public string Name => $"lookup in {options.Connection}";

    public IReadOnlyList<string> Reads => [options.Key];

    /// <summary>The query's columns after the first, from PostgreSQL's own description of it (the query is not run).</summary>
    public async ValueTask<IReadOnlyList<SourceColumn>> DescribeAsync(CancellationToken ct)
    {
        if (_columns is not null)
        {
            return _columns;
        }

        var context = PostgresCallContext.Connection($"lookup in '{options.Connection}'");
        _columns = await PostgresCall.RunAsync(context, async () =>
        {
            await using var command = Command([]);
            await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SchemaOnly, ct);
            var schema = await reader.GetColumnSchemaAsync(ct);
            if (schema.Count < 2)
            {
                throw Core.Errors.SluiceException.Config($"lookup in '{options.Connection}': the query returns {schema.Count} column(s); the first is the key, the others are what it adds — select at least two");
            }

            return (IReadOnlyList<SourceColumn>)[.. schema.Skip(1).Select(c => new SourceColumn(c.ColumnName, c.DataTypeName ?? "unknown", Classify(c.DataTypeName), true))];
        });
        return _columns;
    }

    public async ValueTask<IReadOnlyList<ProcessorDecision>> ProcessAsync(ProcessorBatch batch, CancellationToken ct)
    {
        var keyOrdinal = IndexOf(batch.Columns, options.Key);
        var keys = new string?[batch.Records.Count];
        for (var i = 0; i < keys.Length; i++)
        {
            var value = keyOrdinal >= 0 && keyOrdinal < batch.Records[i].Change.Values.Length ? batch.Records[i].Change.Values[keyOrdinal] : null;
            keys[i] = value is null ? null : Normal(Convert.ToString(value, CultureInfo.InvariantCulture)!);
        }

        var distinct = keys.Where(k => !string.IsNullOrEmpty(k)).Select(k => k!).Distinct(StringComparer.Ordinal).ToList();
        var rows = distinct.Count > 0 ? await FindAsync(distinct, ct) : new Dictionary<string, IReadOnlyList<object?>>();
        var columns = await DescribeAsync(ct);
        var decisions = new ProcessorDecision[keys.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            if (string.IsNullOrEmpty(keys[i]))
            {
                decisions[i] = ProcessorDecision.Skip($"no {options.Key} to look up in {options.Connection}");
            }
            else if (rows.TryGetValue(keys[i]!, out var row))
            {
                var values = new Dictionary<string, object?>(columns.Count, StringComparer.Ordinal);
                for (var c = 0; c < columns.Count; c++)
                {
                    values[columns[c].Name] = row[c];
                }

                decisions[i] = ProcessorDecision.Enrich(values);
            }
            else
            {
                decisions[i] = ProcessorDecision.Skip($"no match in {options.Connection} for {options.Key} '{keys[i]}'");
            }
        }

        return decisions;
    }

    /// <summary>One query for every key; the first row found for a key wins.</summary>
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<object?>>> FindAsync(IReadOnlyCollection<string> keys, CancellationToken ct)
    {
        var context = PostgresCallContext.Connection($"lookup in '{options.Connection}'");
        return await PostgresCall.RunAsync(context, async () =>
        {
            await using var command = Command([.. keys]);
            await using var reader = await command.ExecuteReaderAsync(ct);
            var found = new Dictionary<string, IReadOnlyList<object?>>(StringComparer.Ordinal);
            while (await reader.ReadAsync(ct))
            {
                if (reader.IsDBNull(0))
                {
                    continue;
                }

                var key = Normal(Convert.ToString(reader.GetValue(0), CultureInfo.InvariantCulture)!);
                if (found.ContainsKey(key))
                {
                    continue;
                }

                var values = new object?[reader.FieldCount - 1];
                for (var c = 1; c < reader.FieldCount; c++)
                {
                    values[c - 1] = reader.IsDBNull(c) ? null : reader.GetValue(c);
                }

                found[key] = values;
            }

            return (IReadOnlyDictionary<string, IReadOnlyList<object?>>)found;
        });
    }

    private NpgsqlCommand Command(string[] keys)
    {
        var command = dataSource.CreateCommand(options.Sql);
        command.Parameters.Add(new NpgsqlParameter("keys", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = keys });
        return command;
    }

    private string Normal(string key) => options.IgnoreCase ? key.ToLowerInvariant() : key;

    private static int IndexOf(IReadOnlyList<string> columns, string column)
    {
        for (var i = 0; i < columns.Count; i++)
        {
            if (columns[i] == column)
            {
                return i;
            }
        }

        return -1;
    }

    private static ColumnType Classify(string? typeName) => typeName switch
    {
        "smallint" or "integer" or "bigint" => ColumnType.Integer,
        "real" or "double precision" => ColumnType.Float,
        "numeric" or "money" => ColumnType.Decimal,
        "boolean" => ColumnType.Boolean,
        "timestamp with time zone" => ColumnType.TimestampWithTimeZone,
        "timestamp without time zone" => ColumnType.Timestamp,
        "date" => ColumnType.Date,
        "json" or "jsonb" => ColumnType.Json,
        "uuid" => ColumnType.Uuid,
        _ when typeName is not null && typeName.StartsWith("numeric", StringComparison.Ordinal) => ColumnType.Decimal,
        _ => ColumnType.Text,
    };
}
