using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Npgsql;
using Sluice.Core.Checkpoints;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Errors;
using Sluice.Core.Records;

namespace Sluice.Postgres.Sources;

/// <summary>
/// Reads a table incrementally: keyset pages ordered by (cursor, key), so rows that share a cursor
/// value are neither skipped nor repeated, and memory holds one page of one row at a time (rows stream
/// from the reader). A run reads up to the cursor's maximum at its start; rows changed while it runs
/// are the next run's, so a busy table cannot keep a run going forever. With a
/// <see cref="TableSourceOptions.Range"/> (a backfill) the same read is limited to the range's rows.
/// </summary>
public sealed class TableSource : ISource, IRangeReads
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgresConnectionOptions _connection;
    private readonly PostgresCallContext _calls;
    private readonly TableSourceOptions _options;
    private Resolved? _resolved;

    public TableSource(NpgsqlDataSource dataSource, PostgresConnectionOptions connection, TableSourceOptions options)
    {
        _dataSource = dataSource;
        _connection = connection;
        _calls = PostgresCallContext.Connection(connection.Describe());
        _options = options;
    }

    public string Description => $"table {_options.Table} (cursor {_options.Cursor})";

    public async Task CheckAsync(CancellationToken ct) => await ResolveAsync(ct);

    public async Task<IReadOnlyList<string>> AdviseAsync(CancellationToken ct)
    {
        var resolved = await ResolveAsync(ct);
        var cursor = SqlNames.Quote(resolved.Cursor.Name);
        var advice = new List<string>();
        await WithConnectionAsync(async connection =>
        {
            if (resolved.Cursor.IsNullable)
            {
                var filter = _options.Filter is { } f ? $" AND ({f})" : "";
                await using var nulls = new NpgsqlCommand($"SELECT count(*) FROM {resolved.Table.Qualified} WHERE {cursor} IS NULL{filter}", connection);
                if (await nulls.ExecuteScalarAsync(ct) is long count and > 0)
                {
                    advice.Add($"{count:N0} rows of {resolved.Table} have NULL {resolved.Cursor.Name} and will never be synced; " +
                        $"set it (e.g. UPDATE {resolved.Table.Qualified} SET {cursor} = now() WHERE {cursor} IS NULL) and make the column NOT NULL");
                }
            }

            // Keyset pages need an index that starts with the cursor; without one every page scans the table.
            await using var index = new NpgsqlCommand(
                """
                SELECT EXISTS (
                    SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                    WHERE i.indrelid = $1 AND a.attname = $2)
                """, connection);
            index.Parameters.Add(new NpgsqlParameter { Value = resolved.Table.Oid, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Oid });
            index.Parameters.Add(new NpgsqlParameter { Value = resolved.Cursor.Name });
            if (await index.ExecuteScalarAsync(ct) is false)
            {
                var columns = string.Join(", ", new[] { resolved.Cursor }.Concat(resolved.Key).Select(c => SqlNames.Quote(c.Name)));
                advice.Add($"no index on {resolved.Table} starts with {resolved.Cursor.Name}, so each page of a sync scans the whole table; " +
                    $"CREATE INDEX CONCURRENTLY ON {resolved.Table.Qualified} ({columns});");
            }

            return 0;
        }, ct);
        return advice;
    }

    public async Task<SourceSchema> DiscoverAsync(CancellationToken ct) => (await ResolveAsync(ct)).Schema;

    /// <summary>The same table, read only over <paramref name="range"/> (see <see cref="CheckRangeAsync"/>).</summary>
    public TableSource WithRange(SourceRange range) => new(_dataSource, _connection, _options.WithRange(range)) { _resolved = _resolved };

    ISource IRangeReads.WithRange(SourceRange range) => WithRange(range);

    /// <summary>
    /// What a backfill's stored checkpoint says: its range and the position it reached, for messages;
    /// <c>null</c> when the checkpoint is not a table backfill's.
    /// </summary>
    public (SourceRange Range, string Position)? RangeOf(Checkpoint checkpoint)
    {
        if (checkpoint.Format != TablePosition.Format || checkpoint.Version != TablePosition.Version)
        {
            return null;
        }

        var position = TablePosition.FromCheckpoint(checkpoint, "backfill");
        return position.Range is { } range ? (range, position.Describe()) : null;
    }

    /// <summary>
    /// Checks a backfill range against the table: a range by key needs a single-column key, and PostgreSQL must
    /// parse each bound as the column's type. Returns the range with its bounds in PostgreSQL's own text form (so
    /// <c>2024-01-01</c> and <c>2024-01-01 00:00:00+00</c> are the same range) and its column named.
    /// A bad bound or an empty range is a config error.
    /// </summary>
    public async Task<SourceRange> CheckRangeAsync(SourceRange range, CancellationToken ct)
    {
        var resolved = await ResolveAsync(ct);
        if (range.ByKey && resolved.Key.Count != 1)
        {
            throw SluiceException.Config($"{Description}: the key has {resolved.Key.Count} columns ({string.Join(", ", resolved.Key.Select(k => k.Name))}); a range by key needs a single-column key, so range on the cursor instead");
        }

        var column = range.ByKey ? resolved.Key[0] : resolved.Cursor;
        var what = $"the type of {(range.ByKey ? "key" : "cursor")} column '{column.Name}'";
        return await WithConnectionAsync(async connection =>
        {
            var from = await NormalizeAsync(connection, "from", range.From);
            var to = await NormalizeAsync(connection, "to", range.To);
            if (from is not null && to is not null)
            {
                await using var command = new NpgsqlCommand($"SELECT $1::{column.DatabaseType} < $2::{column.DatabaseType}", connection);
                command.Parameters.Add(new NpgsqlParameter { Value = from, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
                command.Parameters.Add(new NpgsqlParameter { Value = to, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
                if (await command.ExecuteScalarAsync(ct) is not true)
                {
                    throw SluiceException.Config($"the range is empty: from '{range.From}' is not before to '{range.To}' (from is included, to is not)");
                }
            }

            return range with { From = from, To = to, Column = column.Name };
        }, ct);

        async Task<string?> NormalizeAsync(NpgsqlConnection connection, string bound, string? text)
        {
            if (text is null)
            {
                return null;
            }

            try
            {
                await using var command = new NpgsqlCommand($"SELECT $1::{column.DatabaseType}::text", connection);
                command.Parameters.Add(new NpgsqlParameter { Value = text, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
                return (string)(await command.ExecuteScalarAsync(ct))!;
            }
            catch (PostgresException e) when (e.SqlState.StartsWith("22", StringComparison.Ordinal))
            {
                // Class 22 is "data exception": the text is not a value of the type.
                throw SluiceException.Config($"{bound} '{text}' is not a valid {column.DatabaseType} ({what}): {e.MessageText}");
            }
        }
    }

    public async Task<long?> EstimateAsync(ReadRequest request, CancellationToken ct)
    {
        var resolved = await ResolveAsync(ct);
        var (where, parameters) = Predicate(resolved, Start(request), horizon: null);
        return await WithConnectionAsync(async connection =>
        {
            await using var command = new NpgsqlCommand($"SELECT count(*) FROM {resolved.Table.Qualified} WHERE {where}", connection);
            command.Parameters.AddRange(parameters.ToArray());
            return (long?)(long)(await command.ExecuteScalarAsync(ct))!;
        }, ct);
    }

    public async IAsyncEnumerable<Change> ReadAsync(ReadRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        var resolved = await ResolveAsync(ct);
        var position = Start(request);
        var range = _options.Range;
        var horizon = await HorizonAsync(resolved, ct);
        if (horizon is null)
        {
            yield break; // no row has a cursor value yet
        }

        var columns = request.Columns;
        var select = new StringBuilder();
        foreach (var column in columns)
        {
            select.Append(SqlNames.Quote(column));
            if (resolved.ReadAsText.Contains(column))
            {
                select.Append("::text AS ").Append(SqlNames.Quote(column));
            }

            select.Append(", ");
        }

        // The cursor and key come from a mapped column when they are one (no second copy), else as
        // extra columns; as PostgreSQL's own text for types whose .NET form would not round-trip.
        var width = columns.Count;
        var extra = 0;
        int Locate(SourceColumn column)
        {
            var exact = PositionText.IsExact(column);
            var mapped = exact && !resolved.ReadAsText.Contains(column.Name) ? IndexOf(columns, column.Name) : -1;
            if (mapped >= 0)
            {
                return mapped;
            }

            select.Append(SqlNames.Quote(column.Name)).Append(exact ? "" : "::text").Append(" AS sluice_position_").Append(extra).Append(", ");
            return width + extra++;
        }

        var cursorOrdinal = Locate(resolved.Cursor);
        var keyOrdinals = resolved.Key.Select(Locate).ToArray();
        select.Length -= ", ".Length;

        // Qualified, so that ORDER BY means the table's columns, never a same-named output column.
        var orderBy = string.Join(", ", new[] { resolved.Cursor }.Concat(resolved.Key).Select(c => $"{resolved.Table.Qualified}.{SqlNames.Quote(c.Name)}"));
        var keyCount = resolved.Key.Count;

        while (true)
        {
            var (where, parameters) = Predicate(resolved, position, horizon);
            var sql = $"SELECT {select} FROM {resolved.Table.Qualified} WHERE {where} ORDER BY {orderBy} LIMIT {_options.PageSize}";
            var rows = 0;
            await using var connection = await OpenAsync(ct);
            await using var command = new NpgsqlCommand(sql, connection);
            command.Parameters.AddRange(parameters.ToArray());
            await using var reader = await ReadAsync(command, ct);
            var row = new TableRowReader(reader);
            while (await reader.ReadAsync(ct))
            {
                var values = new object?[width];
                for (var i = 0; i < width; i++)
                {
                    values[i] = row.Read(reader, i);
                }

                var cursor = Position(reader, values, cursorOrdinal, width);
                string recordKey;
                if (keyCount == 1)
                {
                    // The common one-column key: no key array per row.
                    var key = Position(reader, values, keyOrdinals[0], width);
                    position = TablePosition.OfSingleKey(cursor, key, range);
                    recordKey = PositionText.Format(key);
                }
                else
                {
                    var key = new object[keyCount];
                    for (var k = 0; k < keyCount; k++)
                    {
                        key[k] = Position(reader, values, keyOrdinals[k], width);
                    }

                    position = new TablePosition(cursor, key) { Range = range };
                    recordKey = JsonSerializer.Serialize(position.Key, TableKeyJson.Default.StringArray);
                }

                rows++;
                yield return new Change(recordKey, ChangeOperation.Upsert, values, position);
            }

            if (rows < _options.PageSize)
            {
                yield break;
            }
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static int IndexOf(IReadOnlyList<string> columns, string name)
    {
        for (var i = 0; i < columns.Count; i++)
        {
            if (columns[i] == name)
            {
                return i;
            }
        }

        return -1;
    }

    private static object Position(NpgsqlDataReader reader, object?[] values, int ordinal, int width) =>
        ordinal < width ? values[ordinal]! : reader.GetValue(ordinal);


    /// <summary>
    /// Where a read starts: after the stored checkpoint. A backfill starts at its range's start unless it resumes,
    /// and resumes only a checkpoint of the same range: continuing one range's position over another would skip rows.
    /// </summary>
    private TablePosition? Start(ReadRequest request)
    {
        if (request.From is null)
        {
            return null;
        }

        if (_options.Range is { Resume: false })
        {
            return null;
        }

        var position = TablePosition.FromCheckpoint(request.From, Description);
        if (_options.Range is { } range && (position.Range is not { } stored || !stored.SameBounds(range)))
        {
            throw SluiceException.Config(position.Range is { } other
                ? $"{Description}: the backfill to resume covers {other}, not {range}; resume it with its own range or start a new backfill"
                : $"{Description}: the stored checkpoint is not a backfill's; start a new backfill");
        }

        return position;
    }

    private (string Where, List<NpgsqlParameter> Parameters) Predicate(Resolved resolved, TablePosition? position, string? horizon)
    {
        var parameters = new List<NpgsqlParameter>();
        var cursor = SqlNames.Quote(resolved.Cursor.Name);
        var conditions = new List<string> { $"{cursor} IS NOT NULL" };
        if (_options.Filter is { } filter)
        {
            conditions.Add($"({filter})");
        }

        string Parameter(string text, SourceColumn column)
        {
            parameters.Add(new NpgsqlParameter { Value = text, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            return $"${parameters.Count}::{column.DatabaseType}";
        }

        if (_options.Range is { } range)
        {
            var column = range.ByKey ? resolved.Key[0] : resolved.Cursor;
            if (range.From is { } from)
            {
                conditions.Add($"{SqlNames.Quote(column.Name)} >= {Parameter(from, column)}");
            }

            if (range.To is { } to)
            {
                conditions.Add($"{SqlNames.Quote(column.Name)} < {Parameter(to, column)}");
            }
        }

        if (horizon is not null)
        {
            conditions.Add($"{cursor} <= {Parameter(horizon, resolved.Cursor)}");
        }

        if (position is not null)
        {
            var left = string.Join(", ", new[] { resolved.Cursor }.Concat(resolved.Key).Select(c => SqlNames.Quote(c.Name)));
            var right = new List<string> { Parameter(position.Cursor, resolved.Cursor) };
            if (position.Key.Length != resolved.Key.Count)
            {
                throw SluiceException.Fatal($"{Description}: the stored checkpoint has {position.Key.Length} key values but the key has {resolved.Key.Count} columns (did the key change?); run with --full to start over");
            }

            right.AddRange(resolved.Key.Select((k, i) => Parameter(position.Key[i], k)));
            conditions.Add($"({left}) > ({string.Join(", ", right)})");
        }

        return (string.Join(" AND ", conditions), parameters);
    }

    private async Task<string?> HorizonAsync(Resolved resolved, CancellationToken ct)
    {
        var filter = _options.Filter is { } f ? $"WHERE ({f})" : "";
        return await WithConnectionAsync(async connection =>
        {
            await using var command = new NpgsqlCommand($"SELECT max({SqlNames.Quote(resolved.Cursor.Name)})::text FROM {resolved.Table.Qualified} {filter}", connection);
            return await command.ExecuteScalarAsync(ct) as string;
        }, ct);
    }

    private async Task<Resolved> ResolveAsync(CancellationToken ct)
    {
        if (_resolved is not null)
        {
            return _resolved;
        }

        _resolved = await WithConnectionAsync(async connection =>
        {
            var table = await PostgresCatalog.FindTableAsync(connection, _options.Table, _connection.Schema, _options.Config?.LocationOf("table"), ct);
            var (columns, readAsText) = await PostgresCatalog.ColumnsAsync(connection, table, ct);
            var keyNames = _options.Key ?? await PostgresCatalog.PrimaryKeyAsync(connection, table, ct);
            if (keyNames.Count == 0)
            {
                throw new ConfigException(_options.Config?.LocationOf("table"), $"table {table} has no primary key, so records cannot be told apart",
                    "name the column(s) that identify a row with 'key: [id]'");
            }

            var schema = new SourceSchema(table.ToString(), columns, keyNames);
            var cursor = Require(schema, _options.Cursor, "cursor");
            var key = keyNames.Select(k => Require(schema, k, "key")).ToList();
            if (_options.Filter is { } filter)
            {
                await ValidateFilterAsync(connection, table, filter, ct);
            }

            return new Resolved(table, schema, cursor, key, readAsText);
        }, ct);
        return _resolved;
    }

    private SourceColumn Require(SourceSchema schema, string name, string configKey) =>
        schema.Find(name) ?? throw new ConfigException(
            _options.Config?.LocationOf(configKey),
            $"column '{name}' does not exist in {schema.ObjectName}",
            NameSuggestions.Closest(name, schema.Columns.Select(c => c.Name)) is { } closest
                ? $"did you mean '{closest}'?"
                : $"columns: {string.Join(", ", schema.Columns.Select(c => c.Name))}");

    private async Task ValidateFilterAsync(NpgsqlConnection connection, PostgresCatalog.Table table, string filter, CancellationToken ct)
    {
        try
        {
            await using var command = new NpgsqlCommand($"EXPLAIN SELECT 1 FROM {table.Qualified} WHERE ({filter})", connection);
            await command.ExecuteNonQueryAsync(ct);
        }
        catch (PostgresException e)
        {
            throw new ConfigException(_options.Config?.LocationOf("filter"), $"the filter is not valid SQL for {table}: {e.MessageText}", "write a condition as in a WHERE clause, e.g. \"deleted_at IS NULL\"");
        }
    }

    private Task<NpgsqlConnection> OpenAsync(CancellationToken ct) => PostgresCall.RunAsync(_calls, () => _dataSource.OpenConnectionAsync(ct).AsTask());

    private Task<NpgsqlDataReader> ReadAsync(NpgsqlCommand command, CancellationToken ct) => PostgresCall.RunAsync(_calls, () => command.ExecuteReaderAsync(ct));

    private async Task<T> WithConnectionAsync<T>(Func<NpgsqlConnection, Task<T>> work, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        return await PostgresCall.RunAsync(_calls, () => work(connection));
    }

    private sealed record Resolved(PostgresCatalog.Table Table, SourceSchema Schema, SourceColumn Cursor, IReadOnlyList<SourceColumn> Key, IReadOnlySet<string> ReadAsText);
}
