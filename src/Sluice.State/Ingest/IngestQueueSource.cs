using System.Runtime.CompilerServices;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using Sluice.Core.Connectors;
using Sluice.Core.Errors;
using Sluice.Core.Records;
using Sluice.Postgres;
using Sluice.State;

namespace Sluice.State.Ingest;

/// <summary>
/// Reads one ingest source's events from the queue, for ever: pages in (xid, position) order from the sync's
/// checkpoint, and, once it has caught up, a poll every <see cref="IngestQueueSourceOptions.PollInterval"/>.
/// Only events whose transaction is older than every transaction still running are read (see migration 0007),
/// so an event committed late is never skipped; the price is that a long write transaction anywhere in the
/// cluster holds back what the readers see until it ends.
/// </summary>
internal sealed class IngestQueueSource : ISource
{
    /// <summary>The columns of every ingest source, in this order; <c>event_id</c> is the key.</summary>
    public static readonly IReadOnlyList<SourceColumn> Columns =
    [
        new("event_id", "uuid", ColumnType.Uuid, IsNullable: false),
        new("source", "text", ColumnType.Text, IsNullable: false),
        new("kind", "text", ColumnType.Text, IsNullable: false),
        new("type", "text", ColumnType.Text, IsNullable: false),
        new("event", "text", ColumnType.Text, IsNullable: true),
        new("received_at", "timestamp with time zone", ColumnType.TimestampWithTimeZone, IsNullable: false),
        new("payload", "json", ColumnType.Json, IsNullable: false),
    ];

    /// <summary>Counting waiting events stops here: a progress bar needs no more, and a large backlog is not scanned.</summary>
    private const int EstimateCap = 1_000_000;

    private readonly Func<CancellationToken, Task<(NpgsqlDataSource DataSource, string Schema)>> _state;
    private readonly string _source;
    private readonly IngestQueueSourceOptions _options;
    private readonly TimeProvider _time;
    private readonly SourceSchema _schema;
    private (NpgsqlDataSource DataSource, StateSchema Schema)? _opened;
    /// <summary>The state schema's name as configured (unquoted), set with <see cref="_opened"/>; it names the commit channel.</summary>
    private string? _schemaName;

    /// <param name="state">Opens (and migrates) the state store on first use; the queue lives there.</param>
    /// <param name="source">The <c>type: ingest</c> connection whose events to read.</param>
    public IngestQueueSource(
        Func<CancellationToken, Task<(NpgsqlDataSource DataSource, string Schema)>> state,
        string source,
        IngestQueueSourceOptions? options = null,
        TimeProvider? time = null)
    {
        _state = state;
        _source = source;
        _options = options ?? new IngestQueueSourceOptions();
        _time = time ?? TimeProvider.System;
        _schema = new SourceSchema(Description, Columns, ["event_id"]);
    }

    /// <summary>A source on a state store already opened.</summary>
    public IngestQueueSource(NpgsqlDataSource dataSource, string schema, string source, IngestQueueSourceOptions? options = null, TimeProvider? time = null)
        : this(_ => Task.FromResult((dataSource, schema)), source, options, time)
    {
    }

    public string Description => $"ingest source '{_source}'";

    public bool Streams => true;

    public async Task CheckAsync(CancellationToken ct)
    {
        var (dataSource, schema) = await OpenAsync(ct);
        var exists = await PostgresCall.RunAsync(StateCalls, async () =>
        {
            await using var command = dataSource.CreateCommand("SELECT to_regclass($1) IS NOT NULL");
            command.Parameters.Add(new NpgsqlParameter { Value = $"{schema.Name}.ingest_queue" });
            return await command.ExecuteScalarAsync(ct) is true;
        });
        if (!exists)
        {
            throw SluiceException.Fatal($"{Description}: the state store (schema {schema.Name}) has no ingest queue; run this version of sluice once against it (`sluice check`) so that it applies migration 0007");
        }
    }

    /// <summary>
    /// A write transaction (or a prepared one) open for longer than <see cref="IngestQueueSourceOptions.StalledAfter"/>
    /// anywhere in the cluster: readers wait behind the oldest, so it delays every event committed since it began
    /// (none is lost).
    /// </summary>
    public async Task<IReadOnlyList<string>> AdviseAsync(CancellationToken ct)
    {
        var (dataSource, _) = await OpenAsync(ct);
        return await PostgresCall.RunAsync(StateCalls, async () =>
        {
            var advice = new List<string>();
            await using var command = dataSource.CreateCommand(
                """
                SELECT 'process ' || pid || coalesce(' (database ' || datname || ')', ''), extract(epoch FROM now() - xact_start)::bigint
                FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND xact_start <= now() - $1
                UNION ALL
                SELECT 'prepared transaction ''' || gid || '''', extract(epoch FROM now() - prepared)::bigint
                FROM pg_prepared_xacts WHERE prepared <= now() - $1
                ORDER BY 2 DESC LIMIT 1
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = _options.StalledAfter, NpgsqlDbType = NpgsqlDbType.Interval });
            await using var reader = await command.ExecuteReaderAsync(ct);
            if (await reader.ReadAsync(ct))
            {
                advice.Add($"the write transaction of {reader.GetString(0)} has been open for {reader.GetInt64(1):N0} s; {Description} reads only " +
                    "behind the oldest write transaction of the state store's cluster, so events committed since it began wait for it to end; " +
                    "end it (COMMIT, ROLLBACK, or pg_terminate_backend) and keep long write transactions off this cluster");
            }

            return (IReadOnlyList<string>)advice;
        });
    }

    public Task<SourceSchema> DiscoverAsync(CancellationToken ct) => Task.FromResult(_schema);

    public async Task<long?> EstimateAsync(ReadRequest request, CancellationToken ct)
    {
        var from = IngestQueuePosition.FromCheckpoint(request.From, Description);
        var (dataSource, schema) = await OpenAsync(ct);
        return await PostgresCall.RunAsync(StateCalls, async () =>
        {
            await using var command = dataSource.CreateCommand(
                $"""
                SELECT count(*) FROM (
                    SELECT 1 FROM {schema.Name}.ingest_queue
                    WHERE source = $1 AND (xid, position) > ($2, $3)
                    LIMIT {EstimateCap}) waiting
                """);
            AddFrom(command.Parameters, from);
            return (long?)(long)(await command.ExecuteScalarAsync(ct))!;
        });
    }

    public async IAsyncEnumerable<Change> ReadAsync(ReadRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        var from = IngestQueuePosition.FromCheckpoint(request.From, Description);
        var (dataSource, schema) = await OpenAsync(ct);
        var sql = PageSql(schema, request.Columns);
        await using var commits = new CommitSignal(dataSource, IngestQueueChannel.For(_schemaName!), _options.Listen, ct);
        while (true)
        {
            // A page is read whole and handed on from memory, so no pooled connection waits on a slow destination.
            var page = await PostgresCall.RunAsync(StateCalls, () => ReadPageAsync(dataSource, sql, from, request.Columns, ct));
            foreach (var change in page)
            {
                yield return change;
            }

            if (page.Count > 0)
            {
                from = (IngestQueuePosition)page[^1].Position;
            }

            if (page.Count < _options.PageSize)
            {
                await commits.WaitAsync(_options.PollInterval, _time, ct);
            }
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private string PageSql(StateSchema schema, IReadOnlyList<string> columns)
    {
        var selected = columns.Select(c => _schema.TryGetOrdinal(c, out _)
            ? SqlNames.Quote(c)
            : throw SluiceException.Config($"{Description} has no column '{c}'; its columns are {string.Join(", ", Columns.Select(k => k.Name))}"));
        return $"""
            SELECT xid, position, event_id, trace_parent{string.Concat(selected.Select(c => ", " + c))}
            FROM {schema.Name}.ingest_queue
            WHERE source = $1 AND (xid, position) > ($2, $3) AND xid < pg_snapshot_xmin(pg_current_snapshot())
            ORDER BY xid, position
            LIMIT {_options.PageSize}
            """;
    }

    /// <summary>The first requested column in a page's rows, after xid, position, event_id and trace_parent.</summary>
    private const int FirstColumn = 4;

    private async Task<List<Change>> ReadPageAsync(NpgsqlDataSource dataSource, string sql, IngestQueuePosition from, IReadOnlyList<string> requested, CancellationToken ct)
    {
        var columns = requested.Count;
        // Stored as UTF-8 bytes (see migration 0007); the contract hands it on as a string.
        var payloadOrdinal = IndexOf(requested, "payload");
        await using var batch = dataSource.CreateBatch();
        // The page is the first PageSize entries of the source's index after the checkpoint, in its order. Where the
        // statistics put the source's unread rows in the hundreds (a queue table not analysed yet), PostgreSQL picks a
        // bitmap heap scan and a top-N sort instead, which reads every unread row for each page: 118 ms a page at a
        // 50,000-event backlog against 0.5 ms in index order. set_config(…, true) lasts until the end of the batch's
        // implicit transaction, so only the page's query goes without bitmap scans.
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT set_config('enable_bitmapscan', 'off', true)"));
        var query = new NpgsqlBatchCommand(sql);
        AddFrom(query.Parameters, from);
        batch.BatchCommands.Add(query);
        await using var reader = await batch.ExecuteReaderAsync(ct);
        await reader.NextResultAsync(ct);
        var page = new List<Change>();
        while (await reader.ReadAsync(ct))
        {
            var position = new IngestQueuePosition(reader.GetFieldValue<ulong>(0), reader.GetInt64(1));
            var values = new object?[columns];
            for (var i = 0; i < columns; i++)
            {
                values[i] = reader.IsDBNull(i + FirstColumn) ? null
                    : i == payloadOrdinal ? Encoding.UTF8.GetString(reader.GetFieldValue<byte[]>(i + FirstColumn))
                    : reader.GetValue(i + FirstColumn);
            }

            page.Add(new Change(reader.GetGuid(2).ToString(), ChangeOperation.Upsert, values, position)
            {
                Version = position.Position.ToString(System.Globalization.CultureInfo.InvariantCulture),
                TraceParent = reader.IsDBNull(3) ? null : reader.GetString(3),
            });
        }

        return page;
    }

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

    private void AddFrom(NpgsqlParameterCollection parameters, IngestQueuePosition from)
    {
        parameters.Add(new NpgsqlParameter { Value = _source });
        parameters.Add(new NpgsqlParameter { Value = from.Xid, NpgsqlDbType = NpgsqlDbType.Xid8 });
        parameters.Add(new NpgsqlParameter { Value = from.Position });
    }

    private async Task<(NpgsqlDataSource DataSource, StateSchema Schema)> OpenAsync(CancellationToken ct)
    {
        if (_opened is { } opened)
        {
            return opened;
        }

        var (dataSource, schema) = await _state(ct);
        _schemaName = schema;
        _opened = (dataSource, new StateSchema(schema));
        return _opened.Value;
    }

    /// <summary>Its reads go to the state database, so their errors say so and name this source.</summary>
    private PostgresCallContext StateCalls => new($"{Description} (state database)");
}
