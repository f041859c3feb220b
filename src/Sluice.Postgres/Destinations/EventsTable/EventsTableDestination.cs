using System.Text;
using Npgsql;
using NpgsqlTypes;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Errors;
using Sluice.Core.Mapping;
using Sluice.Core.Records;

namespace Sluice.Postgres.Destinations;

/// <summary>
/// Writes ingested events into a PostgreSQL table, one row per event (P2–P6): a batch of events new to the table is one
/// binary COPY into it (<see cref="EventsTableDirectCopy"/>); a batch that meets an event already there (a retry, a
/// replay) is one binary COPY into the session's staging table and one <c>INSERT … SELECT … ON CONFLICT DO NOTHING</c>
/// from it (<see cref="EventsTableStaging"/>), on a table whose one unique key is <c>event_id</c>, so a replayed batch
/// inserts nothing new, and both need nothing but INSERT on the table (no conflict target, no <c>RETURNING</c>, no
/// read of the table).
/// </summary>
/// <remarks>
/// Failures are sorted by what they mean for the records (<see cref="EventsTableFailure"/>): transient ones fail the
/// batch for the engine to retry with backoff; ones about the table (auth, missing table, no privilege) refuse its
/// records into the dead-letter queue with the fix, to be replayed once fixed (<c>sluice dlq replay</c>); one about
/// a row's data is narrowed down by halving until the row stands alone, and only it is refused.
/// </remarks>
internal sealed class EventsTableDestination : IDestination
{
    /// <summary>Far above any real event (Segment's own limit is 32 KB), far below PostgreSQL's 1 GB per value.</summary>
    private const int MaxRecordBytes = 1024 * 1024;

    /// <summary>The arrays of one statement travel in one protocol message; PostgreSQL refuses one over 1 GB.</summary>
    private const int MaxBatchBytes = 64 * 1024 * 1024;

    /// <summary>Two batches at once keep the table busy while the next one is encoded; more only contend on its index.</summary>
    private const int MaxInFlight = 2;

    /// <summary>Where the columns are "configured" for options not read from a file (tests, tools).</summary>
    private static readonly ConfigLocation Unplaced = new("(events table)", 0, 0, "destination.table");

    private static readonly string ColumnList = string.Join(", ", EventsTableDdl.Columns.Select(c => SqlNames.Quote(c.Name)));

    private readonly string _syncName;
    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgresConnectionOptions _connection;
    private readonly EventsTableOptions _options;
    private readonly SemaphoreSlim _creating = new(1, 1);
    private readonly EventsTableStaging _staging;
    private readonly EventsTableDirectCopy _direct = new();
    private EventsTableRowBuilder.Ordinals? _ordinals;

    /// <param name="syncName">For the fixes in dead letters' reasons (<c>sluice dlq replay SYNC</c>).</param>
    /// <param name="dataSource">The connection's shared data source; not disposed here.</param>
    public EventsTableDestination(string syncName, NpgsqlDataSource dataSource, PostgresConnectionOptions connection, EventsTableOptions options)
    {
        _syncName = syncName;
        _dataSource = dataSource;
        _connection = connection;
        _options = options;
        _staging = new EventsTableStaging(dataSource);
        var what = options.TablePerEventType ? $"{options.Schema}.{options.Table}_<event type>" : $"{options.Schema}.{options.Table}";
        Description = $"events table {what} on {connection.Describe()}";
        Shape = new MappingShape($"the events table {what}", [], [])
        {
            ExtraColumns = EventsTableRowBuilder.Columns.Select(c => (c, options.TableLocation ?? Unplaced)).ToList(),
        };
        Limits = new DestinationLimits(options.BatchSize, MaxBatchBytes, MaxRecordBytes, MaxInFlight) { FlushWindow = TimeSpan.FromSeconds(1) };
    }

    public string Description { get; }

    public MappingShape Shape { get; }

    public DestinationLimits Limits { get; }

    /// <summary>How the batches landed so far: the direct COPYs, for tests and the bench's notes.</summary>
    internal EventsTableDirectCopy DirectCopy => _direct;

    /// <summary>
    /// Checks that the table exists and the connection's role may insert into it; when it may not, the message
    /// holds the SQL to run (the CREATE TABLE, the GRANT). With a table per event type, checks the schema only.
    /// </summary>
    public async Task CheckAsync(CancellationToken ct)
    {
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(ct);
            await using var command = new NpgsqlCommand(
                """
                SELECT n.oid IS NOT NULL, c.oid IS NOT NULL,
                       c.oid IS NOT NULL AND has_table_privilege(c.oid, 'INSERT'),
                       n.oid IS NOT NULL AND has_schema_privilege(n.oid, 'USAGE'),
                       n.oid IS NOT NULL AND has_schema_privilege(n.oid, 'CREATE'),
                       current_user,
                       EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                               WHERE i.indrelid = c.oid AND i.indisunique AND i.indnkeyatts = 1 AND a.attname = 'event_id')
                FROM (SELECT 1) one
                LEFT JOIN pg_namespace n ON n.nspname = $1
                LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = $2 AND c.relkind IN ('r', 'p')
                """, connection);
            command.Parameters.Add(new NpgsqlParameter { Value = _options.Schema });
            command.Parameters.Add(new NpgsqlParameter { Value = _options.Table });
            await using var reader = await command.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            var (schemaExists, tableExists, mayInsert, mayUse, mayCreate, role, keyed) =
                (reader.GetBoolean(0), reader.GetBoolean(1), reader.GetBoolean(2), reader.GetBoolean(3), reader.GetBoolean(4), reader.GetString(5), reader.GetBoolean(6));
            var ddl = EventsTableDdl.CreateTable(_options.Schema, _options.Table, pretty: false);
            var grants = EventsTableDdl.Grants(_options.Schema, _options.Table, role);
            if (!schemaExists)
            {
                throw SluiceException.Config($"{Description}: schema {_options.Schema} does not exist; create it (CREATE SCHEMA {SqlNames.Quote(_options.Schema)};) or fix 'table:'");
            }

            if (!mayUse)
            {
                throw SluiceException.Config($"{Description}: role {role} may not use schema {_options.Schema}; run as its owner: GRANT USAGE ON SCHEMA {SqlNames.Quote(_options.Schema)} TO {SqlNames.Quote(role)};");
            }

            if (_options.TablePerEventType || (!tableExists && _options.CreateTable))
            {
                if (_options.CreateTable && !mayCreate)
                {
                    throw SluiceException.Config($"{Description}: 'create_table: true', but role {role} may not create tables in schema {_options.Schema}; " +
                        $"grant it (GRANT CREATE ON SCHEMA {SqlNames.Quote(_options.Schema)} TO {SqlNames.Quote(role)};) or create the tables yourself: {ddl}");
                }

                return;
            }

            if (!tableExists)
            {
                throw SluiceException.Config($"{Description}: the table does not exist; create it (as a role that may) with: {ddl} {grants} — or set 'create_table: true' for Sluice to create it");
            }

            if (!keyed)
            {
                // ON CONFLICT DO NOTHING deduplicates on the table's unique keys: without one on event_id, a replay duplicates.
                throw SluiceException.Config($"{Description}: the table has no primary key on event_id, so a replayed event would be inserted twice; " +
                    $"add it: ALTER TABLE {_options.QualifiedTable} ADD PRIMARY KEY (\"event_id\");");
            }

            if (!mayInsert)
            {
                throw SluiceException.Config($"{Description}: role {role} may not insert into the table; run as its owner: {grants}");
            }
        }
        catch (Exception e) when (IsDriverError(e))
        {
            throw PostgresErrors.Translate(e, Description);
        }
    }

    public EncodedRecord Encode(Change change, CompiledMapping mapping)
    {
        // Encoding runs on one thread per run; a stale read of the cache only costs a second lookup.
        var ordinals = _ordinals;
        if (ordinals is null || !ReferenceEquals(ordinals.Mapping, mapping))
        {
            _ordinals = ordinals = EventsTableRowBuilder.Ordinals.Of(mapping);
        }

        // The stored form is built only for a record that needs it (a dead letter, a plan's sample): the batch is
        // written from the row, and building the JSON of every landed event cost as much as the rest of its row.
        var row = EventsTableRowBuilder.Build(change, ordinals);
        return new EncodedRecord(change, row.EventId.ToString(), row, EventsTableRow.JsonOf, row.MostJsonBytes);
    }

    public async Task<IReadOnlyList<WriteResult>> WriteAsync(IReadOnlyList<EncodedRecord> batch, CancellationToken ct)
    {
        var results = new WriteResult[batch.Count];
        var tables = new Dictionary<string, List<(int Index, EventsTableRow Row)>>(StringComparer.Ordinal);
        for (var i = 0; i < batch.Count; i++)
        {
            // Rows encoded by this process come with their row; a replayed dead letter is parsed from its stored JSON.
            // (Reading Payload of an encoded one would build its stored form for nothing.)
            string? error = null;
            if ((batch[i].Prepared as EventsTableRow ?? EventsTableRow.Read(batch[i].Payload.Span, out error)) is not { } row)
            {
                results[i] = WriteResult.Rejected(error!);
                continue;
            }

            var table = _options.TablePerEventType ? EventsTableNames.ForEventType(_options.Table, row.EventType) : _options.Table;
            if (!tables.TryGetValue(table, out var rows))
            {
                tables[table] = rows = [];
            }

            rows.Add((i, row));
        }

        if (tables.Count == 0)
        {
            return results;
        }

        NpgsqlConnection connection;
        bool staged;
        try
        {
            (connection, staged) = await _staging.OpenAsync(ct);
        }
        catch (Exception e) when (IsDriverError(e))
        {
            // Auth fails for every table alike: refuse all (replayable once fixed); anything else, as PostgresErrors says.
            if (e is PostgresException pg && EventsTableFailure.Classify(e) == EventsTableFailureKind.Table)
            {
                var reason = TableReason(pg, _options.Table);
                foreach (var rows in tables.Values)
                {
                    Refuse(rows, reason, results);
                }

                return results;
            }

            throw PostgresErrors.Translate(e, Description);
        }

        try
        {
            foreach (var (table, rows) in tables)
            {
                await InsertAsync(connection, staged, table, rows, results, mayCreate: _options.CreateTable, ct);
            }
        }
        finally
        {
            await _staging.ReturnAsync(connection, staged);
        }

        // The row's key is its event_id, which is the record's message id (encoded here or stored with a dead letter).
        for (var i = 0; i < results.Length; i++)
        {
            if (results[i].Status == WriteStatus.Ok)
            {
                results[i] = WriteResult.Acknowledged(batch[i].MessageId);
            }
        }

        return results;
    }

    public async ValueTask DisposeAsync()
    {
        await _staging.DisposeAsync();
        _creating.Dispose();
    }

    /// <summary>Inserts <paramref name="rows"/> into <paramref name="table"/> and files each one's result.</summary>
    private async Task InsertAsync(NpgsqlConnection connection, bool staged, string table, List<(int Index, EventsTableRow Row)> rows, WriteResult[] results, bool mayCreate, CancellationToken ct)
    {
        try
        {
            using (var copy = EventsTableCopyRows.Encode(rows))
            {
                if (await _direct.TryWriteAsync(connection, _options.Schema, table, rows, copy, ct))
                {
                    // Every event was new to the table: landed by one COPY.
                }
                else if (staged)
                {
                    await EventsTableStaging.WriteAsync(connection, Qualified(table), copy, ct);
                }
                else
                {
                    await InsertArraysAsync(connection, table, rows, ct);
                }
            }

            foreach (var (index, _) in rows)
            {
                results[index] = WriteResult.Ok;
            }

            return;
        }
        catch (Exception e) when (IsDriverError(e))
        {
            var kind = EventsTableFailure.Classify(e);
            var pg = e as PostgresException;
            switch (kind)
            {
                case EventsTableFailureKind.Transient:
                    throw SluiceException.Transient($"{Description}: {pg?.MessageText ?? e.Message}{State(pg)}; will retry", e);
                case EventsTableFailureKind.Table when pg!.SqlState == PostgresErrorCodes.UndefinedTable && mayCreate:
                    await CreateAsync(connection, table, ct);
                    break;
                case EventsTableFailureKind.Table:
                    Refuse(rows, TableReason(pg!, table), results);
                    return;
                case EventsTableFailureKind.Row when rows.Count == 1:
                    results[rows[0].Index] = WriteResult.Rejected(
                        $"{Qualified(table)} refused the row: {pg!.MessageText}{State(pg)}; the other events of its batch were written. " +
                        $"Fix the table's constraint or the event, then `sluice dlq replay {_syncName}`");
                    return;
                case EventsTableFailureKind.Row:
                    // One bad row fails the whole statement: halve until it stands alone. Rows already written by an
                    // earlier half are no-ops when written again (ON CONFLICT DO NOTHING).
                    var half = rows.Count / 2;
                    await InsertAsync(connection, staged, table, rows[..half], results, mayCreate, ct);
                    await InsertAsync(connection, staged, table, rows[half..], results, mayCreate, ct);
                    return;
                default:
                    throw SluiceException.Fatal($"{Description}: {pg?.MessageText ?? e.Message}{State(pg)}", e);
            }
        }

        // Created just now: once more, and a second missing table is no longer ours to create.
        await InsertAsync(connection, staged, table, rows, results, mayCreate: false, ct);
    }

    /// <summary>The write of a role that may not create the staging table: one array per column, unnested.</summary>
    private async Task InsertArraysAsync(NpgsqlConnection connection, string table, List<(int Index, EventsTableRow Row)> rows, CancellationToken ct)
    {
        var count = rows.Count;
        var ids = new Guid[count];
        var types = new string[count];
        var occurred = new DateTime[count];
        var customers = new string?[count];
        var sources = new string[count];
        var payloads = new string[count];
        var metadata = new string[count];
        var received = new DateTime[count];
        for (var i = 0; i < count; i++)
        {
            var row = rows[i].Row;
            ids[i] = row.EventId;
            types[i] = row.EventType;
            occurred[i] = row.OccurredAt.UtcDateTime;
            customers[i] = row.CustomerExternalId;
            sources[i] = row.Source;
            payloads[i] = Encoding.UTF8.GetString(row.Payload);
            metadata[i] = Encoding.UTF8.GetString(row.Metadata);
            received[i] = row.ReceivedAt.UtcDateTime;
        }

        // One statement whatever the batch's size; its text depends on the table only, so the data source's
        // auto-prepare prepares it once per connection. Data travels as parameters only. No conflict target:
        // PostgreSQL asks for SELECT on the arbiter columns of `ON CONFLICT (event_id)` (permission denied for an
        // INSERT-only role, seen on 15), not for a bare `ON CONFLICT DO NOTHING`; with event_id the table's only
        // unique key (EventsTableDdl, checked by CheckAsync), both mean the same.
        await using var command = new NpgsqlCommand(
            $"""
            INSERT INTO {Qualified(table)} ({ColumnList})
            SELECT * FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::jsonb[], $7::jsonb[], $8::timestamptz[])
            ON CONFLICT DO NOTHING
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = ids, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = types, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = occurred, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = customers, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = sources, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = payloads, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
        command.Parameters.Add(new NpgsqlParameter { Value = metadata, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
        command.Parameters.Add(new NpgsqlParameter { Value = received, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary><c>create_table: true</c>: creates a missing table, one creation at a time (two would race on the catalog).</summary>
    private async Task CreateAsync(NpgsqlConnection connection, string table, CancellationToken ct)
    {
        await _creating.WaitAsync(ct);
        try
        {
            await using var command = new NpgsqlCommand(EventsTableDdl.CreateTable(_options.Schema, table), connection);
            await command.ExecuteNonQueryAsync(ct);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateTable)
        {
            // Another process created it between our INSERT and our CREATE: it is there, which is all we wanted.
        }
        catch (PostgresException e) when (EventsTableFailure.Classify(e) == EventsTableFailureKind.Table)
        {
            // May not create (an INSERT-only role): the INSERT that follows refuses its rows with the fix.
        }
        finally
        {
            _creating.Release();
        }
    }

    /// <summary>The reason every record refused by a table-wide failure carries: what is wrong, and the fix.</summary>
    private string TableReason(PostgresException pg, string table)
    {
        var qualified = $"{_options.Schema}.{table}";
        var replay = $"then `sluice dlq replay {_syncName}`";
        return pg.SqlState switch
        {
            PostgresErrorCodes.UndefinedTable =>
                $"table {qualified} does not exist; create it ({EventsTableDdl.CreateTable(_options.Schema, table, pretty: false)}) or set 'create_table: true', {replay}",
            PostgresErrorCodes.InsufficientPrivilege =>
                $"{_connection.Describe()}: {pg.MessageText}; the role needs only INSERT on the table and USAGE on its schema " +
                $"({EventsTableDdl.Grants(_options.Schema, table, _connection.User)}), {replay}",
            PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification =>
                $"{_connection.Describe()}: authentication failed for user '{_connection.User}': {pg.MessageText}; fix the user or password of connection '{_connection.Name}', {replay}",
            PostgresErrorCodes.UndefinedColumn or PostgresErrorCodes.DatatypeMismatch or PostgresErrorCodes.InvalidColumnReference =>
                $"table {qualified} is not shaped like an events table: {pg.MessageText}{State(pg)}; compare it with {EventsTableDdl.CreateTable(_options.Schema, table, pretty: false)}, {replay}",
            _ => $"{_connection.Describe()}, table {qualified}: {pg.MessageText}{State(pg)}; once fixed, {replay[5..]}",
        };
    }

    private static void Refuse(List<(int Index, EventsTableRow Row)> rows, string reason, WriteResult[] results)
    {
        var refused = WriteResult.Rejected(reason);
        foreach (var (index, _) in rows)
        {
            results[index] = refused;
        }
    }

    private string Qualified(string table) => SqlNames.QuoteQualified(_options.Schema, table);

    private static string State(PostgresException? pg) => pg is null ? "" : $" (SQLSTATE {pg.SqlState})";

    private static bool IsDriverError(Exception e) => e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException or IOException;
}
