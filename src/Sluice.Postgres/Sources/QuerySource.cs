using System.Runtime.CompilerServices;
using System.Text;
using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Errors;
using Sluice.Core.Records;

namespace Sluice.Postgres.Sources;

/// <summary>
/// Reads any query (or a whole table) whole, each row a record; the engine finds what changed by diffing
/// (<see cref="ISource.Diff"/>): each record's fingerprint is compared with the one stored by the last run, and
/// only added, changed and deleted records are handed on.
/// </summary>
/// <remarks>
/// Rows come sorted by key text (<c>ORDER BY key::text COLLATE "C"</c>, sorted by PostgreSQL, spilling to disk if
/// it must), the order the stored fingerprints are read in, so the engine's diff is a merge join that holds one row
/// of each whatever the size. A table-shaped source (<see cref="QuerySourceShape"/>) keeps the snapshot of its last
/// complete read and, from it, reads keys with <c>xmin</c> first and fetches only the rows that may have changed
/// (<see cref="OpenSignalReadAsync"/>).
/// </remarks>
internal sealed partial class QuerySource : ISource
{

    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgresConnectionOptions _connection;
    private readonly PostgresCallContext _calls;
    private readonly QuerySourceOptions _options;
    private Resolved? _resolved;

    public QuerySource(NpgsqlDataSource dataSource, PostgresConnectionOptions connection, QuerySourceOptions options)
    {
        if (options.Query is null && options.Table is null)
        {
            throw new ArgumentException("a query or a table is required", nameof(options));
        }

        _dataSource = dataSource;
        _connection = connection;
        _calls = PostgresCallContext.Connection(connection.Describe());
        _options = options;
    }

    /// <summary>Whole rows read so far (every row of a full read; only those fetched by a read by change signal).</summary>
    internal long RowsRead { get; private set; }

    /// <summary>Reads by change signal whose keys came unsorted, in the table's order (<see cref="IKeySignalRead.NativeKeysAsync"/>).</summary>
    internal int KeyScansInTableOrder { get; private set; }

    public string Description => _options.Query is not null
        ? $"query (key {string.Join(", ", _options.Key ?? [])})"
        : $"table {_options.Table} (diffed by key)";

    /// <summary>Keys in byte order; a deleted record's position is its key, as a row's is; a change signal when table-shaped.</summary>
    public SourceDiff Diff => new(KeyOrder.Sorted, key => new QueryPosition(key)) { OpenSignalRead = OpenSignalReadAsync };

    public async Task CheckAsync(CancellationToken ct) => await ResolveAsync(ct);

    public async Task<SourceSchema> DiscoverAsync(CancellationToken ct) => (await ResolveAsync(ct)).Schema;

    /// <summary>Unknown: how many records changed is only known by diffing them all.</summary>
    public Task<long?> EstimateAsync(ReadRequest request, CancellationToken ct) => Task.FromResult<long?>(null);

    /// <summary>
    /// Every row, as a record, in <see cref="Core.State.RecordKeyOrder"/>; with the watched columns' values as PostgreSQL writes
    /// them as text. A table-shaped source reads in one snapshot and ends with its position (<see cref="QueryPosition.Since"/>).
    /// </summary>
    public async IAsyncEnumerable<Change> ReadAsync(ReadRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        var resolved = await ResolveAsync(ct);
        var since = request.From is { } from ? QueryPosition.SinceOf(from, Description) : null;
        var select = SelectList(resolved, request);
        var width = request.Columns.Count;
        var watched = request.Watched;
        var sql = $"SELECT {select} FROM ({resolved.Query}\n) AS q ORDER BY {width + 1}";

        await using var connection = await OpenAsync(ct);
        await using var transaction = resolved.Shape is not null && Snapshots(connection)
            ? await PostgresCall.RunAsync(_calls, () => connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct).AsTask())
            : null;
        var snapshot = transaction is null ? null : await TakeSnapshotAsync(connection, resolved, request, ct);
        string? lastKey = null;
        await using (var command = new NpgsqlCommand(sql, connection)
        {
            // The sort of a large query can take longer than the driver's 30 s default before its first row.
            CommandTimeout = 0,
        })
        {
            await using var reader = await PostgresCall.RunAsync(_calls, () => command.ExecuteReaderAsync(ct));
            while (await PostgresCall.RunAsync(_calls, () => reader.ReadAsync(ct)))
            {
                lastKey = KeyOf(reader, width, resolved);
                RowsRead++;
                yield return Record(reader, width, watched, lastKey, new QueryPosition(lastKey, since));
            }
        }

        if (snapshot is not null)
        {
            // The read is complete: the next run may trust what this snapshot saw.
            yield return Change.Progress(new QueryPosition(lastKey ?? "", snapshot));
        }
    }

    /// <summary>What a read selects from <c>q</c>: the columns, the key as text in byte order, the watched columns as text.</summary>
    private string SelectList(Resolved resolved, ReadRequest request)
    {
        var select = new StringBuilder();
        foreach (var column in request.Columns)
        {
            select.Append("q.").Append(SqlNames.Quote(column));
            if (resolved.ReadAsText.Contains(column))
            {
                select.Append("::text AS ").Append(SqlNames.Quote(column));
            }

            select.Append(", ");
        }

        // The key as text in byte order, the order the stored fingerprints come back in (RecordKeyOrder).
        select.Append(resolved.KeyExpression).Append(" COLLATE \"C\"");

        // Watched columns as PostgreSQL writes them as text: what is stored, and compared with what was.
        foreach (var column in request.Watched)
        {
            if (resolved.Schema.Find(column) is null)
            {
                throw SluiceException.Fatal($"{Description}: watched column '{column}' is not among the columns of {resolved.Schema.ObjectName}");
            }

            select.Append(", (q.").Append(SqlNames.Quote(column)).Append(")::text");
        }

        return select.ToString();
    }

    /// <summary>The row's key (at <paramref name="width"/>), which a record must have.</summary>
    private string KeyOf(NpgsqlDataReader reader, int width, Resolved resolved) => reader.IsDBNull(width)
        ? throw SluiceException.Fatal($"{Description}: a row has no key ({string.Join(", ", resolved.Key)} is NULL); records need one: leave such rows out (e.g. WHERE {resolved.Key[0]} IS NOT NULL)")
        : reader.GetString(width);

    /// <summary>The record of the row at the reader (selected by <see cref="SelectList"/>).</summary>
    private static Change Record(NpgsqlDataReader reader, int width, IReadOnlyList<string> watched, string key, QueryPosition position)
    {
        var values = new object?[width];
        for (var i = 0; i < width; i++)
        {
            values[i] = SourceValues.Read(reader, i);
        }

        return new Change(key, ChangeOperation.Upsert, values, position)
        {
            Watched = watched.Count == 0 ? null : ReadWatched(reader, width + 1, watched),
        };
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static Dictionary<string, string?> ReadWatched(NpgsqlDataReader reader, int first, IReadOnlyList<string> watched)
    {
        var now = new Dictionary<string, string?>(watched.Count, StringComparer.Ordinal);
        for (var i = 0; i < watched.Count; i++)
        {
            now[watched[i]] = reader.IsDBNull(first + i) ? null : reader.GetString(first + i);
        }

        return now;
    }

    private async Task<Resolved> ResolveAsync(CancellationToken ct)
    {
        if (_resolved is not null)
        {
            return _resolved;
        }

        await using var connection = await OpenAsync(ct);
        _resolved = await PostgresCall.RunAsync(_calls, () => _options.Query is { } query ? ResolveQueryAsync(connection, query, ct) : ResolveTableAsync(connection, _options.Table!, ct));
        return _resolved;
    }

    private async Task<Resolved> ResolveQueryAsync(NpgsqlConnection connection, string query, CancellationToken ct)
    {
        // A trailing ';' is natural at the end of a query but not inside the subquery it becomes.
        var inner = query.Trim().TrimEnd(';').TrimEnd();
        var location = _options.Config?.LocationOf("query");
        var (columns, readAsText) = await DescribeAsync(connection, inner, location, "the query", ct);
        return Build("the query", inner, columns, readAsText, _options.Key!, _options.Config?.LocationOf("key"))
            with
        { Shape = await QuerySourceShape.OfQueryAsync(connection, inner, ct) };
    }

    private async Task<Resolved> ResolveTableAsync(NpgsqlConnection connection, string name, CancellationToken ct)
    {
        var table = await PostgresCatalog.FindTableAsync(connection, name, _connection.Schema, _options.Config?.LocationOf("table"), ct);
        var keyNames = _options.Key ?? await PostgresCatalog.PrimaryKeyAsync(connection, table, ct);
        if (keyNames.Count == 0)
        {
            throw new ConfigException(_options.Config?.LocationOf("table"), $"table {table} has no primary key, so records cannot be told apart",
                "name the column(s) that identify a row with 'key: [id]'");
        }

        var inner = $"SELECT * FROM {table.Qualified}" + (_options.Filter is { } filter ? $" WHERE ({filter})" : "");
        var location = _options.Config?.LocationOf(_options.Filter is null ? "table" : "filter");
        var (columns, readAsText) = await DescribeAsync(connection, inner, location, $"table {table}{(_options.Filter is null ? "" : " with the filter")}", ct);
        return Build(table.ToString(), inner, columns, readAsText, keyNames, _options.Config?.LocationOf(_options.Key is null ? "table" : "key"))
            with
        { Shape = await QuerySourceShape.OfTableAsync(connection, table, _options.Filter, ct) };
    }

    private static async Task<(List<SourceColumn> Columns, HashSet<string> ReadAsText)> DescribeAsync(NpgsqlConnection connection, string inner, ConfigLocation? location, string what, CancellationToken ct)
    {
        try
        {
            return await PostgresCatalog.QueryColumnsAsync(connection, inner, ct);
        }
        catch (PostgresException e) when (!e.SqlState.StartsWith("08", StringComparison.Ordinal) && !e.SqlState.StartsWith("57", StringComparison.Ordinal) && e.SqlState != "28P01")
        {
            throw new ConfigException(location, $"{what} is not valid SQL for {new NpgsqlConnectionStringBuilder(connection.ConnectionString).Database}: {e.MessageText}",
                e.SqlState == "42501" ? "grant the sync's user SELECT on what the query reads" : "fix the SQL; run it in psql to see it work, then paste it here");
        }
    }

    private static Resolved Build(string objectName, string inner, List<SourceColumn> columns, HashSet<string> readAsText, IReadOnlyList<string> key, ConfigLocation? keyLocation)
    {
        var duplicate = columns.GroupBy(c => c.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ConfigException(keyLocation, $"{objectName} returns two columns named '{duplicate.Key}', so the mapping cannot tell them apart",
                $"give them distinct names with AS, e.g. 'b.{duplicate.Key} AS other_{duplicate.Key}'");
        }

        var schema = new SourceSchema(objectName, columns, key);
        foreach (var name in key)
        {
            if (schema.Find(name) is null)
            {
                throw new ConfigException(keyLocation, $"key column '{name}' is not among the columns of {objectName}",
                    NameSuggestions.Closest(name, columns.Select(c => c.Name)) is { } closest
                        ? $"did you mean '{closest}'?"
                        : $"columns: {string.Join(", ", columns.Select(c => c.Name))}");
            }
        }

        // One column: its text, as psql shows it. Several: a JSON array of their texts, unambiguous whatever they hold.
        var keyExpression = key.Count == 1
            ? $"(q.{SqlNames.Quote(key[0])})::text"
            : $"to_json(ARRAY[{string.Join(", ", key.Select(k => $"(q.{SqlNames.Quote(k)})::text"))}])::text";
        return new Resolved(schema, inner, key, keyExpression, readAsText);
    }

    private Task<NpgsqlConnection> OpenAsync(CancellationToken ct) => PostgresCall.RunAsync(_calls, () => _dataSource.OpenConnectionAsync(ct).AsTask());

    private sealed record Resolved(SourceSchema Schema, string Query, IReadOnlyList<string> Key, string KeyExpression, IReadOnlySet<string> ReadAsText)
    {
        /// <summary>How the source is one table's rows, or <c>null</c> when it is not (read whole and fingerprinted every run).</summary>
        public QuerySourceShape? Shape { get; init; }
    }
}
