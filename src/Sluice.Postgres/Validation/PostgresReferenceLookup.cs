using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using Sluice.Core.Configuration;
using Sluice.Core.Engine.Processing;
using Sluice.Core.Engine.Processing.Validation;

namespace Sluice.Postgres.Validation;

/// <summary>
/// Which of a batch's values exist in a reference column, in one query:
/// <c>SELECT k FROM unnest($1, $2) u(k, v) WHERE EXISTS (SELECT 1 FROM t WHERE col = u.v)</c>, each value compared in
/// the column's own type so that an index on it is used. The table and column are checked on first use, and a missing
/// one is a config error at the rule's <c>exists_in</c>.
/// </summary>
internal sealed class PostgresReferenceLookup(NpgsqlDataSource dataSource, PostgresConnectionOptions connection, ReferenceColumn column) : IRecordLookup
{
    private readonly SemaphoreSlim _resolving = new(1, 1);
    private string? _sql;
    private ColumnKind _kind;

    private enum ColumnKind
    {
        Text,
        Integer,
        Uuid,
        Other,
    }

    public string Name => column.ToString();

    public async Task<IReadOnlyDictionary<string, IReadOnlyList<object?>>> FindAsync(IReadOnlyCollection<string> keys, CancellationToken ct)
    {
        var sql = _sql ?? await ResolveAsync(ct);
        var (texts, typed) = Parameters(keys);
        var found = new Dictionary<string, IReadOnlyList<object?>>(StringComparer.Ordinal);
        if (texts.Count == 0)
        {
            return found;
        }

        return await PostgresCall.RunAsync(PostgresCallContext.Connection(connection.Describe()), async () =>
        {
            await using var command = dataSource.CreateCommand(sql);
            command.Parameters.Add(new NpgsqlParameter { Value = texts.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            if (typed is not null)
            {
                command.Parameters.Add(new NpgsqlParameter { Value = typed });
            }

            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                found[reader.GetString(0)] = [];
            }

            return (IReadOnlyDictionary<string, IReadOnlyList<object?>>)found;
        });
    }

    /// <summary>The values as text and, for an integer or uuid column, parsed; a value that cannot be one is simply not found.</summary>
    private (List<string> Texts, Array? Typed) Parameters(IReadOnlyCollection<string> keys)
    {
        switch (_kind)
        {
            case ColumnKind.Integer:
                {
                    var texts = new List<string>(keys.Count);
                    var numbers = new List<long>(keys.Count);
                    foreach (var key in keys)
                    {
                        if (long.TryParse(key, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
                        {
                            texts.Add(key);
                            numbers.Add(number);
                        }
                    }

                    return (texts, numbers.ToArray());
                }

            case ColumnKind.Uuid:
                {
                    var texts = new List<string>(keys.Count);
                    var ids = new List<Guid>(keys.Count);
                    foreach (var key in keys)
                    {
                        if (Guid.TryParse(key, out var id))
                        {
                            texts.Add(key);
                            ids.Add(id);
                        }
                    }

                    return (texts, ids.ToArray());
                }

            default:
                return ([.. keys], null);
        }
    }

    private async Task<string> ResolveAsync(CancellationToken ct)
    {
        await _resolving.WaitAsync(ct);
        try
        {
            if (_sql is { } resolved)
            {
                return resolved;
            }

            var table = SqlNames.QuoteQualified(column.Schema, column.Table);
            var (exists, type, columns) = await PostgresCall.RunAsync(PostgresCallContext.Connection(connection.Describe()), async () =>
            {
                await using var command = dataSource.CreateCommand(
                    """
                    SELECT to_regclass($1) IS NOT NULL,
                           (SELECT t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
                            WHERE a.attrelid = to_regclass($1) AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped),
                           (SELECT string_agg(a.attname, ', ' ORDER BY a.attnum) FROM pg_attribute a
                            WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped)
                    """);
                command.Parameters.Add(new NpgsqlParameter { Value = table });
                command.Parameters.Add(new NpgsqlParameter { Value = column.Column });
                await using var reader = await command.ExecuteReaderAsync(ct);
                await reader.ReadAsync(ct);
                return (reader.GetBoolean(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? "" : reader.GetString(2));
            });
            if (!exists)
            {
                throw new ConfigException(column.Location,
                    $"'exists_in' names table {column.Schema}.{column.Table}, which {connection.Describe()} does not have (or the user may not see)",
                    $"name an existing table as CONNECTION.SCHEMA.TABLE.COLUMN, or create it; the user needs SELECT on it");
            }

            if (type is null)
            {
                throw new ConfigException(column.Location,
                    $"'exists_in' names column '{column.Column}', which table {column.Schema}.{column.Table} does not have",
                    $"name one of its columns: {columns}");
            }

            (_kind, var cast) = type switch
            {
                "text" or "varchar" or "bpchar" or "name" or "citext" => (ColumnKind.Text, "text"),
                "int2" or "int4" or "int8" => (ColumnKind.Integer, "bigint"),
                "uuid" => (ColumnKind.Uuid, "uuid"),
                _ => (ColumnKind.Other, null),
            };
            var quoted = SqlNames.Quote(column.Column);
            _sql = cast switch
            {
                "text" => $"SELECT u.k FROM unnest($1::text[]) AS u(k) WHERE EXISTS (SELECT 1 FROM {table} t WHERE t.{quoted} = u.k)",
                null => $"SELECT u.k FROM unnest($1::text[]) AS u(k) WHERE EXISTS (SELECT 1 FROM {table} t WHERE t.{quoted}::text = u.k)",
                _ => $"SELECT u.k FROM unnest($1::text[], $2::{cast}[]) AS u(k, v) WHERE EXISTS (SELECT 1 FROM {table} t WHERE t.{quoted} = u.v)",
            };
            return _sql;
        }
        finally
        {
            _resolving.Release();
        }
    }
}
