using System.Globalization;
using System.Security.Cryptography;
using Npgsql;
using Sluice.Core.Connectors;
using Sluice.Core.Errors;
using Sluice.Core.Mapping;
using Sluice.Core.Records;

namespace Sluice.Postgres.Destinations.Records;

/// <summary>
/// Exports records to a PostgreSQL table that exists, one row per record keyed by <c>key:</c>, and their groups to a
/// second table (G4, G5, D10; docs/records.md). Set-based per batch, in one transaction: the batch's rows go into a
/// temporary staging table by binary COPY, then <c>INSERT … ON CONFLICT DO UPDATE … WHERE … IS DISTINCT FROM …</c>
/// (or, in enrich mode, <c>UPDATE … FROM</c> the staging table), <c>DELETE … USING</c> for deleted records in sync
/// mode, and the group memberships by difference. Every statement is idempotent by key, so a batch written again after
/// a crash (before its checkpoint committed) changes nothing. A first load into an empty table skips the staging and
/// the merge (<c>RecordsDestination.FirstLoad.cs</c>).
/// </summary>
internal sealed partial class RecordsDestination : IDestination, IDestinationDiscovery, IDestinationMappingCheck, ISharedTransactionWrites, IMarksOwnWrites
{
    private const int MaxRecordBytes = 1024 * 1024;
    private const int MaxBatchBytes = 64 * 1024 * 1024;

    /// <summary>Builds a deferred payload from the record's row; static, so a record costs no delegate of its own.</summary>
    private static readonly Func<object, ReadOnlyMemory<byte>> BuildPayload = row => RecordsPayload.WriteDeferred((RecordsRow)row);

    [ThreadStatic]
    private static IncrementalHash? _hash;

    private readonly string _syncName;
    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgresConnectionOptions _connection;
    private readonly RecordsDestinationOptions _options;
    private (CompiledMapping Mapping, RecordsLayout Layout, IReadOnlyList<CompiledField> Fields, int From)? _resolved;
    private (RecordsTable Table, RecordsTable? Groups)? _catalog;
    private Origins.OriginMarkedWrites? _marked;

    public RecordsDestination(string syncName, NpgsqlDataSource dataSource, PostgresConnectionOptions connection, RecordsDestinationOptions options)
    {
        _syncName = syncName;
        _dataSource = dataSource;
        _connection = connection;
        _options = options;
        Description = $"records table {options.Schema}.{options.Table} ({ModeName}) on {connection.Describe()}";
        Shape = ShapeOf(options.Columns);
        // One batch at a time: two in flight could commit an older version of a row after a newer one.
        Limits = new DestinationLimits(options.BatchSize, MaxBatchBytes, MaxRecordBytes, MaxInFlight: 1) { FlushWindow = TimeSpan.FromSeconds(1) };
    }

    public string Description { get; }

    public MappingShape Shape { get; }

    public DestinationLimits Limits { get; }

    /// <summary>Sync mode deletes the rows of deleted records (or, with <c>deletes: soft</c>, marks them); the other modes never delete.</summary>
    public bool AcceptsDeletes => _options.Mode == RecordsMode.Sync;

    public bool Sends(Change change) => change.Operation != ChangeOperation.Delete || _options.Mode == RecordsMode.Sync;

    /// <summary>Enrich mode leaves records out at write time; the ledger is where explain finds why.</summary>
    public bool RemembersRecords => _options.Mode == RecordsMode.Enrich;

    private string ModeName => _options.Mode.ToString().ToLowerInvariant();

    /// <summary>The table's columns as mapping targets, so a mapping that names another column is refused at its key.</summary>
    public async Task<MappingShape> DiscoverAsync(CancellationToken ct)
    {
        var table = await ReadAsync(_options.Schema, _options.Table, _options.KeyColumns, ct);
        // A missing table is reported by the check, with its CREATE TABLE typed from the mapping.
        return table.Exists ? ShapeOf(table.Columns.Keys) : Shape;
    }

    public Task CheckAsync(CancellationToken ct) => CheckCoreAsync(null, ct);

    public Task CheckMappingAsync(CompiledMapping mapping, CancellationToken ct) => CheckCoreAsync(mapping, ct);

    public EncodedRecord Encode(Change change, CompiledMapping mapping)
    {
        var (layout, fields, from) = Resolve(mapping);
        RecordsRow row;
        if (change.Operation == ChangeOperation.Delete)
        {
            row = new RecordsRow(change.Key, true, layout, _options.IsComposite ? KeyValuesOf(change.Key, layout) : new object?[fields.Count], []);
        }
        else
        {
            var values = new object?[fields.Count];
            for (var i = 0; i < fields.Count; i++)
            {
                var value = fields[i].Read(change);
                if (value is UnreadableValue unreadable)
                {
                    throw new SluiceException(ErrorClass.RecordRejected, unreadable.ToString() ?? $"column '{fields[i].Column!.Name}' cannot be read");
                }

                try
                {
                    values[i] = value is null ? null : layout.Columns[i].Type.Convert(value);
                }
                catch (Exception e) when (e is FormatException or InvalidCastException or OverflowException)
                {
                    throw new SluiceException(ErrorClass.RecordRejected, $"'{fields[i].Target}' ({fields[i].Column!.Name}): {e.Message}");
                }
            }

            if (values[layout.KeyIndex] is not { } key)
            {
                throw new SluiceException(ErrorClass.RecordRejected, $"the key column '{_options.Key}' is NULL, so the record has no row to be written to");
            }

            if (_options.KeyColumns.Count > 1)
            {
                for (var i = 0; i < layout.Columns.Count; i++)
                {
                    if (values[i] is null && _options.KeyColumns.Contains(layout.Columns[i].Column))
                    {
                        // A unique key holds NULLs as distinct: every replay would append the version (or insert the row) again.
                        throw new SluiceException(ErrorClass.RecordRejected, _options.IsComposite
                            ? $"the key column '{layout.Columns[i].Column}' is NULL, so the record has no row to be written to"
                            : $"the key column '{layout.Columns[i].Column}' is NULL, so the version cannot be told apart from a replay");
                    }
                }
            }

            // A composite key's row is named by the record's key, which its delete carries too.
            var keyText = _options.IsComposite ? change.Key : KeyText(key, change.Key);
            row = new RecordsRow(keyText, false, layout, values, GroupsOf(change, fields, values, from));
        }

        // The payload (JSON) is for a dead letter, a replay or a plan only: the batch is written from the row. It is built
        // when first asked for; until then the batch counts the record by a bound on its size.
        var bound = RecordsPayload.SizeBound(row);
        if (change.Fingerprint is { Length: > 0 } fingerprint && bound <= MaxRecordBytes)
        {
            // A diffed record's fingerprint already tells its versions apart (the same values, the same row): no hash of our own.
            return new EncodedRecord(change, MessageId(row.Key, fingerprint), row, BuildPayload, bound);
        }

        var payload = RecordsPayload.Write(row);
        // The same version of a record always has the same id; a new version (or another record) another. One hash per
        // thread, reset after each use: SHA256.HashData sets up and frees an OpenSSL context per call.
        var hash = _hash ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(payload);
        Span<byte> digest = stackalloc byte[32];
        hash.GetHashAndReset(digest);
        var id = string.Concat(row.Key, ":", Convert.ToHexStringLower(digest[..16]));
        return new EncodedRecord(change, id, payload) { Prepared = row };
    }

    /// <summary>
    /// The text of a single key's value: the record's own key when it reads the same (a model's or a query's integer
    /// key, whose text the source already made), so that a record costs no second copy of it.
    /// </summary>
    private static string KeyText(object key, string recordKey)
    {
        if (key is string text)
        {
            return text;
        }

        if (key is long number)
        {
            Span<char> digits = stackalloc char[20];
            if (number.TryFormat(digits, out var length, default, CultureInfo.InvariantCulture))
            {
                return digits[..length].SequenceEqual(recordKey) ? recordKey : new string(digits[..length]);
            }
        }

        return Convert.ToString(key, CultureInfo.InvariantCulture)!;
    }

    /// <summary><c>key:fingerprint</c> (lower-case hex), made in one string.</summary>
    private static string MessageId(string key, byte[] fingerprint) =>
        string.Create(key.Length + 1 + (fingerprint.Length * 2), (key, fingerprint), static (span, state) =>
        {
            state.key.CopyTo(span);
            span[state.key.Length] = ':';
            Convert.TryToHexStringLower(state.fingerprint, span[(state.key.Length + 1)..], out _);
        });

    /// <summary>The table's database and role: when the state store is there too, batches are written in its commit transaction.</summary>
    public string Database => DatabaseIdentity.Of(_dataSource.ConnectionString);

    public Task<IReadOnlyList<WriteResult>> WriteAsync(IReadOnlyList<EncodedRecord> batch, CancellationToken ct) => WriteAsync(batch, null, ct);

    /// <summary>Writes the batch in <paramref name="transaction"/>, the state store's, which commits it with the checkpoint.</summary>
    public Task<IReadOnlyList<WriteResult>> WriteAsync(IReadOnlyList<EncodedRecord> batch, System.Data.Common.DbTransaction transaction, CancellationToken ct) =>
        WriteAsync(batch, (NpgsqlTransaction)transaction, ct);

    private async Task<IReadOnlyList<WriteResult>> WriteAsync(IReadOnlyList<EncodedRecord> batch, NpgsqlTransaction? shared, CancellationToken ct)
    {
        var results = new WriteResult[batch.Count];
        // The last version of each key wins: ON CONFLICT may not touch a row twice in one statement.
        var latest = new Dictionary<string, int>(StringComparer.Ordinal);
        var rows = new RecordsRow?[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            string? error = null;
            rows[i] = batch[i].Prepared as RecordsRow ?? RecordsPayload.Read(batch[i].Payload.Span, _options.Key, out error);
            if (rows[i] is not { } row)
            {
                results[i] = WriteResult.Rejected(error!);
                continue;
            }

            if (!row.Delete && row.Layout.KeyIndex < 0)
            {
                results[i] = WriteResult.Rejected($"the stored row does not hold the key column '{_options.Key}'");
                rows[i] = null;
                continue;
            }

            // Append-only keeps every version the batch holds (ON CONFLICT DO NOTHING may meet a key twice).
            latest[_options.Mode == RecordsMode.Append ? i.ToString(CultureInfo.InvariantCulture) : row.Key] = i;
        }

        var current = latest.Values.Order().Select(i => (Index: i, Row: rows[i]!)).ToList();
        if (current.Count == 0)
        {
            return results;
        }

        HashSet<string> written;
        try
        {
            written = await WriteRowsAsync(current, shared, ct);
        }
        catch (Exception e) when (IsDriverError(e))
        {
            throw Classify(e);
        }

        for (var i = 0; i < batch.Count; i++)
        {
            if (rows[i] is not { } row)
            {
                continue;
            }

            results[i] = row.Delete || written.Contains(row.Key)
                ? WriteResult.Acknowledged(row.Key)
                : WriteResult.NotWritten(_options.IsComposite
                    ? $"left out: enrich mode, no existing row with ({string.Join(", ", _options.KeyColumns)}) = {row.Key} in {_options.Schema}.{_options.Table}"
                    : $"left out: enrich mode, no existing row with {_options.Key} = {row.Key} in {_options.Schema}.{_options.Table}");
        }

        return results;
    }

    /// <summary>Writes from now on through a session marked with <paramref name="origin"/>, in transactions of its own.</summary>
    public void MarkOwnWrites(string origin) => _marked ??= new Origins.OriginMarkedWrites(_connection, origin, TimeProvider.System);

    /// <summary>Not while marked: the state store's transaction runs on a session without the origin.</summary>
    public bool SharesTransactions => _marked is null;

    /// <summary>Why the marked writes go unmarked (the role may not use replication origins); null when they are marked, or not asked to be.</summary>
    internal string? OriginRefused => _marked?.Refused;

    public ValueTask DisposeAsync() => _marked?.DisposeAsync() ?? ValueTask.CompletedTask;

    /// <summary>
    /// Writes the batch in one transaction, its own or <paramref name="shared"/> (left open, staging tables dropped);
    /// returns the keys whose rows now hold the record (every upsert, except enrich's left-outs).
    /// </summary>
    private async Task<HashSet<string>> WriteRowsAsync(List<(int Index, RecordsRow Row)> rows, NpgsqlTransaction? shared, CancellationToken ct)
    {
        var (table, groupsTable) = await CatalogAsync(ct);
        if (shared is not null)
        {
            var (written, staged) = await WriteRowsAsync(rows, shared.Connection!, shared, table, groupsTable, ct);
            if (staged)
            {
                // Another write of the same transaction (the next half of a bisected batch) stages again.
                await ExecuteAsync(shared.Connection!, shared, $"DROP TABLE {RecordsSql.Stage}; DROP TABLE IF EXISTS {RecordsSql.GroupStage}", ct);
            }

            return written;
        }

        await using var connection = _marked is not null ? await _marked.OpenConnectionAsync(ct) : await _dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var result = await WriteRowsAsync(rows, connection, transaction, table, groupsTable, ct);
        await transaction.CommitAsync(ct);
        return result.Written;
    }

    /// <summary>The keys written, and whether any layout was staged (its staging tables are left for the caller to drop).</summary>
    private async Task<(HashSet<string> Written, bool Staged)> WriteRowsAsync(List<(int Index, RecordsRow Row)> rows, NpgsqlConnection connection, NpgsqlTransaction transaction,
        RecordsTable table, RecordsTable? groupsTable, CancellationToken ct)
    {
        var written = new HashSet<string>(StringComparer.Ordinal);
        var stage = 0;
        foreach (var grouped in rows.GroupBy(r => r.Row.Layout.Signature))
        {
            var layoutRows = grouped.ToList();
            var layout = layoutRows[0].Row.Layout;
            foreach (var (column, _) in layout.Columns)
            {
                if (!table.Columns.ContainsKey(column))
                {
                    _catalog = null;
                    throw SluiceException.Config($"{Description}: the mapping writes column '{column}', which the table does not have; add it, or remove it from the mapping");
                }
            }

            if (await TryCopyDirectlyAsync(layoutRows, layout, connection, transaction, table, groupsTable, ct))
            {
                written.UnionWith(layoutRows.Select(r => r.Row.Key));
                continue;
            }

            if (stage++ > 0)
            {
                // A second layout in one batch (a replay of an older mapping): the staging tables of the first go first.
                await ExecuteAsync(connection, transaction, $"DROP TABLE {RecordsSql.Stage}; DROP TABLE IF EXISTS {RecordsSql.GroupStage}", ct);
            }

            var sql = new RecordsSql(_options, layout, table.Columns, groupsTable?.Columns);
            await ExecuteAsync(connection, transaction, sql.CreateStage, ct);
            await using (var importer = await connection.BeginBinaryImportAsync(sql.CopyStage, ct))
            {
                // Synchronous writes: they fill the driver's buffer and only block when it flushes, where an awaited call
                // per value cost an async state machine each (a batch of 5,000 six-column records is 40,000 values).
                foreach (var (_, row) in layoutRows)
                {
                    importer.StartRow();
                    importer.Write(row.Key, NpgsqlTypes.NpgsqlDbType.Text);
                    importer.Write(row.Delete, NpgsqlTypes.NpgsqlDbType.Boolean);
                    for (var i = 0; i < row.Values.Length; i++)
                    {
                        WriteValue(importer, row.Values[i], layout.Columns[i].Type);
                    }
                }

                await importer.CompleteAsync(ct);
            }

            var upserts = layoutRows.Where(r => !r.Row.Delete).Select(r => r.Row.Key).ToHashSet(StringComparer.Ordinal);
            if (_options.Mode == RecordsMode.Enrich)
            {
                upserts = await KeysAsync(connection, transaction, sql.Existing, ct);
            }

            if (sql.CreateGroupStage is not null)
            {
                await ExecuteAsync(connection, transaction, sql.CreateGroupStage, ct);
                await using (var importer = await connection.BeginBinaryImportAsync(sql.CopyGroupStage!, ct))
                {
                    foreach (var (_, row) in layoutRows.Where(r => !r.Row.Delete && upserts.Contains(r.Row.Key)))
                    {
                        foreach (var group in row.Groups)
                        {
                            importer.StartRow();
                            importer.Write(row.Key, NpgsqlTypes.NpgsqlDbType.Text);
                            importer.Write(group, NpgsqlTypes.NpgsqlDbType.Text);
                        }
                    }

                    await importer.CompleteAsync(ct);
                }

                // Memberships that ended go first (a deleted record's too, before its row), new ones once the rows exist.
                await ExecuteAsync(connection, transaction, sql.RemoveMemberships!, ct);
            }

            if (_options.Mode == RecordsMode.Sync)
            {
                await ExecuteAsync(connection, transaction, sql.Delete, ct);
            }

            if (_options.Mode == RecordsMode.Enrich)
            {
                if (sql.Update is not null)
                {
                    await ExecuteAsync(connection, transaction, sql.Update, ct);
                }
            }
            else
            {
                await ExecuteAsync(connection, transaction, sql.Upsert, ct);
            }

            if (sql.AddMemberships is not null)
            {
                await ExecuteAsync(connection, transaction, sql.AddMemberships, ct);
            }

            written.UnionWith(upserts);
        }

        return (written, stage > 0);
    }

    /// <summary>
    /// One staged value, typed where the staging type is one of the common ones: the driver then binds its converter once
    /// per column, where an <c>object</c> makes it resolve one per value (measured: ≈ 3% of a first sync's CPU).
    /// </summary>
    private static void WriteValue(NpgsqlBinaryImporter importer, object? value, StagingType type)
    {
        switch (value, type.DbType)
        {
            case (null, _):
                importer.WriteNull();
                break;
            case (string text, NpgsqlTypes.NpgsqlDbType.Text):
                importer.Write(text, NpgsqlTypes.NpgsqlDbType.Text);
                break;
            case (long number, NpgsqlTypes.NpgsqlDbType.Bigint):
                importer.Write(number, NpgsqlTypes.NpgsqlDbType.Bigint);
                break;
            case (decimal number, NpgsqlTypes.NpgsqlDbType.Numeric):
                importer.Write(number, NpgsqlTypes.NpgsqlDbType.Numeric);
                break;
            case (double number, NpgsqlTypes.NpgsqlDbType.Double):
                importer.Write(number, NpgsqlTypes.NpgsqlDbType.Double);
                break;
            case (bool flag, NpgsqlTypes.NpgsqlDbType.Boolean):
                importer.Write(flag, NpgsqlTypes.NpgsqlDbType.Boolean);
                break;
            case (DateTime time, NpgsqlTypes.NpgsqlDbType.Timestamp or NpgsqlTypes.NpgsqlDbType.TimestampTz):
                importer.Write(time, type.DbType.Value);
                break;
            case (_, { } dbType):
                importer.Write(value, dbType);
                break;
            default:
                importer.Write(value, type.Name);
                break;
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task<HashSet<string>> KeysAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken ct)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            keys.Add(reader.GetString(0));
        }

        return keys;
    }

    /// <summary>
    /// A deleted record's key columns, from its key: the source's key values in order, a JSON array of their text
    /// (<c>["acme","42"]</c>, as a table or query source with a key of several columns gives it), one per column of
    /// <c>key:</c>; the other columns stay NULL.
    /// </summary>
    private object?[] KeyValuesOf(string key, RecordsLayout layout)
    {
        string?[]? parts = null;
        try
        {
            parts = System.Text.Json.JsonSerializer.Deserialize(key, RecordsKeyJson.Default.StringArray);
        }
        catch (System.Text.Json.JsonException)
        {
        }

        if (parts is null || parts.Length != _options.KeyColumns.Count || parts.Any(p => p is null))
        {
            throw new SluiceException(ErrorClass.RecordRejected,
                $"the deleted record's key {key} does not name {_options.KeyColumns.Count} values for the key ({string.Join(", ", _options.KeyColumns)}); " +
                "a composite key's source must be keyed by the same columns, in the same order");
        }

        var values = new object?[layout.Columns.Count];
        for (var k = 0; k < parts.Length; k++)
        {
            var i = layout.Columns.Select(c => c.Column).ToList().IndexOf(_options.KeyColumns[k]);
            try
            {
                values[i] = layout.Columns[i].Type.Convert(parts[k]!);
            }
            catch (Exception e) when (e is FormatException or InvalidCastException or OverflowException)
            {
                throw new SluiceException(ErrorClass.RecordRejected, $"the deleted record's key {key}: '{_options.KeyColumns[k]}': {e.Message}");
            }
        }

        return values;
    }

    /// <summary>The record's groups: each defined group whose condition holds, and the names its <c>from:</c> column holds.</summary>
    private IReadOnlyList<string> GroupsOf(Change change, IReadOnlyList<CompiledField> fields, object?[] values, int from)
    {
        if (_options.Groups is not { } groups)
        {
            return [];
        }

        var names = new List<string>();
        if (groups.Definitions.Count > 0)
        {
            object? Property(string name)
            {
                for (var i = 0; i < fields.Count; i++)
                {
                    if (fields[i].Target == name)
                    {
                        return values[i];
                    }
                }

                return null;
            }

            foreach (var definition in groups.Definitions)
            {
                if (definition.Condition.Holds(Property))
                {
                    names.Add(definition.Name);
                }
            }
        }

        if (from >= 0)
        {
            switch (change.Values[from])
            {
                case null:
                    break;
                case string one:
                    names.Add(one);
                    break;
                case System.Collections.IEnumerable many:
                    names.AddRange(many.Cast<object?>().Where(n => n is not null).Select(n => Convert.ToString(n, CultureInfo.InvariantCulture)!));
                    break;
                default:
                    names.Add(Convert.ToString(change.Values[from], CultureInfo.InvariantCulture)!);
                    break;
            }
        }

        // Defined groups have distinct names (the config's keys); only a from: column may repeat one.
        return from >= 0 ? names.Distinct(StringComparer.Ordinal).ToList() : names;
    }

    private (RecordsLayout Layout, IReadOnlyList<CompiledField> Fields, int From) Resolve(CompiledMapping mapping)
    {
        if (_resolved is { } resolved && ReferenceEquals(resolved.Mapping, mapping))
        {
            return (resolved.Layout, resolved.Fields, resolved.From);
        }

        var (layout, fields) = RecordsLayout.Of(mapping, _options.Key);
        if (layout.KeyIndex < 0)
        {
            throw new InvalidOperationException($"the mapping does not write the key column '{_options.Key}'; compile it with this destination's Shape");
        }

        var from = _options.Groups?.From is { } column ? mapping.OrdinalOf(column) : -1;
        _resolved = (mapping, layout, fields, from);
        return (layout, fields, from);
    }

    private MappingShape ShapeOf(IEnumerable<string> columns)
    {
        var location = _options.Location ?? new Core.Configuration.ConfigLocation("(records)", 0, 0, "destination");
        return new MappingShape($"the records table {_options.Schema}.{_options.Table}",
            [.. columns.Select(c => new MappingTarget(c, false, c == _options.Key, c == _options.Key ? "the table's key" : "a column of the table"))], [])
        {
            ExtraColumns = _options.Groups?.From is { } from ? [(from, _options.Groups.Location ?? location)] : [],
        };
    }

    private async Task<(RecordsTable Table, RecordsTable? Groups)> CatalogAsync(CancellationToken ct)
    {
        if (_catalog is { } catalog)
        {
            return catalog;
        }

        var table = await ReadAsync(_options.Schema, _options.Table, _options.KeyColumns, ct);
        if (!table.Exists || !table.Columns.ContainsKey(_options.Key))
        {
            throw SluiceException.Config($"{Description}: the table does not exist or has no column '{_options.Key}'; `sluice check` prints the CREATE TABLE that fixes it");
        }

        RecordsTable? groups = null;
        if (_options.Groups is { } g)
        {
            groups = await ReadAsync(g.Schema, g.Table, [], ct);
            if (!groups.Exists || !groups.Columns.ContainsKey(g.ForeignKey) || !groups.Columns.ContainsKey(g.NameColumn))
            {
                throw SluiceException.Config($"{Description}: the groups table {g.Schema}.{g.Table} does not exist or lacks '{g.ForeignKey}' or '{g.NameColumn}'; `sluice check` prints the CREATE TABLE that fixes it");
            }
        }

        _catalog = (table, groups);
        return (table, groups);
    }

    private async Task<RecordsTable> ReadAsync(string schema, string table, IReadOnlyList<string> key, CancellationToken ct)
    {
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(ct);
            return await RecordsTable.ReadAsync(connection, schema, table, key, ct);
        }
        catch (Exception e) when (IsDriverError(e))
        {
            throw PostgresErrors.Translate(e, Description);
        }
    }

    /// <summary>The table and the groups table exist, with a unique key, and the role may do what the mode needs; each failure with its fix.</summary>
    private async Task CheckCoreAsync(CompiledMapping? mapping, CancellationToken ct)
    {
        var table = await ReadAsync(_options.Schema, _options.Table, _options.KeyColumns, ct);
        var types = mapping is null
            ? _options.Columns.Select(c => (c, "text")).ToList()
            : RecordsLayout.Of(mapping, _options.Key).Fields.Select(f => (f.Target, f.Transform is null ? f.Column!.DatabaseType : "text")).ToList();
        if (!table.Exists)
        {
            throw SluiceException.Config($"{Description}: the table does not exist; create it (as a role that may) with: {RecordsSql.CreateTable(_options, types)}" +
                (mapping is null ? " (with each column's type)" : ""));
        }

        if (!table.KeyIsUnique && _options.KeyColumns.Count > 1)
        {
            var columns = string.Join(", ", _options.KeyColumns.Select(SqlNames.Quote));
            throw SluiceException.Config($"{Description}: the table has no unique key on ({string.Join(", ", _options.KeyColumns)}), so " +
                (_options.IsComposite ? "rows cannot be matched to records; " : "a replayed version cannot be told from a new one; ") +
                $"add it: ALTER TABLE {_options.QualifiedTable} ADD UNIQUE ({columns});");
        }

        if (!table.KeyIsUnique)
        {
            throw SluiceException.Config($"{Description}: the key column '{_options.Key}' is not the table's primary key (or a unique column), so rows cannot be matched to records; " +
                $"add it: ALTER TABLE {_options.QualifiedTable} ADD PRIMARY KEY ({SqlNames.Quote(_options.Key)});");
        }

        if (_options.SoftDelete && !table.Columns.ContainsKey(_options.DeletedAt))
        {
            throw SluiceException.Config($"{Description}: 'deletes: soft' sets column '{_options.DeletedAt}' on a deleted record's row, and the table has none; " +
                $"add it: ALTER TABLE {_options.QualifiedTable} ADD COLUMN {SqlNames.Quote(_options.DeletedAt)} timestamptz;");
        }

        var needed = RecordsPrivileges.OnTable(_options.Mode, _options.SoftDelete);
        var missing = needed.Where(p => p switch
        {
            "SELECT" => !table.MaySelect,
            "INSERT" => !table.MayInsert,
            "UPDATE" => !table.MayUpdate,
            _ => !table.MayDelete,
        }).ToList();
        if (missing.Count > 0)
        {
            throw SluiceException.Config($"{Description}: role {table.Role} may not {string.Join(", ", missing)} on the table; as its owner: " +
                $"GRANT {string.Join(", ", missing)} ON {_options.QualifiedTable} TO {SqlNames.Quote(table.Role)}; (`sluice grants --for records` prints every grant)");
        }

        if (!table.MayUseTemporary)
        {
            throw SluiceException.Config($"{Description}: role {table.Role} may not create temporary tables, which each batch stages its rows in; " +
                $"GRANT TEMPORARY ON DATABASE {SqlNames.Quote(_connection.Database)} TO {SqlNames.Quote(table.Role)};");
        }

        if (_options.Groups is { } groups)
        {
            var groupsTable = await ReadAsync(groups.Schema, groups.Table, [], ct);
            var keyType = table.Columns.GetValueOrDefault(_options.Key, "text");
            if (!groupsTable.Exists || !groupsTable.Columns.ContainsKey(groups.ForeignKey) || !groupsTable.Columns.ContainsKey(groups.NameColumn))
            {
                throw SluiceException.Config($"{Description}: the groups table {groups.Schema}.{groups.Table} does not exist or lacks '{groups.ForeignKey}' or '{groups.NameColumn}'; " +
                    $"create it with: {RecordsSql.CreateGroupsTable(_options, groups, keyType)}");
            }

            if (!groupsTable.MaySelect || !groupsTable.MayInsert || !groupsTable.MayDelete)
            {
                throw SluiceException.Config($"{Description}: role {table.Role} may not SELECT, INSERT and DELETE on the groups table; as its owner: " +
                    $"GRANT SELECT, INSERT, DELETE ON {groups.QualifiedTable} TO {SqlNames.Quote(table.Role)};");
            }
        }

        foreach (var column in mapping?.Fields.Select(f => f.Target) ?? [])
        {
            if (!table.Columns.ContainsKey(column))
            {
                throw SluiceException.Config($"{Description}: the mapping writes column '{column}', which the table does not have; add it, or remove it from the mapping");
            }
        }
    }

    private SluiceException Classify(Exception e)
    {
        var pg = e as PostgresException;
        var state = pg is null ? "" : $" (SQLSTATE {pg.SqlState})";
        switch (EventsTableFailure.Classify(e))
        {
            case EventsTableFailureKind.Transient:
                return SluiceException.Transient($"{Description}: {pg?.MessageText ?? e.Message}{state}; will retry", e);
            case EventsTableFailureKind.Row:
                // About a row's data: the engine halves the batch until the row stands alone, and refuses only it.
                return new SluiceException(ErrorClass.RecordRejected,
                    $"{Description} refused the row: {pg!.MessageText}{state}; fix the table's constraint or the record, then `sluice dlq replay {_syncName}`", e);
            case EventsTableFailureKind.Table:
                _catalog = null;
                return SluiceException.Config($"{Description}: {pg?.MessageText ?? e.Message}{state}; `sluice check` says what to fix");
            default:
                return SluiceException.Fatal($"{Description}: {pg?.MessageText ?? e.Message}{state}", e);
        }
    }

    private static bool IsDriverError(Exception e) => e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException or IOException;
}
