using Npgsql;

namespace Sluice.Postgres.Destinations.Records;

/// <summary>
/// The first load into an empty table: a batch of new records goes by binary COPY straight into the table (and its
/// memberships into the groups table), with no staging table and no <c>INSERT … ON CONFLICT</c> merge. For a record
/// whose key the table does not hold, the merge would insert exactly the row COPY inserts, and its memberships would be
/// exactly the record's groups; the table's unique key is what proves the keys new (a key already there fails the COPY,
/// which is rolled back to its savepoint, and the batch takes the merge). Measured on the records bench's 100,000
/// records: the staging COPY and the merge's statements were most of PostgreSQL's statement time in a first sync, and
/// with this (and the ledger's COPY) PostgreSQL's CPU for the sync fell by about a quarter (bench/README.md, session 11).
/// </summary>
internal sealed partial class RecordsDestination
{
    private const string FirstLoadSavepoint = "sluice_first_load";

    /// <summary>
    /// Whether batches try the direct COPY: unknown until the first write asks whether the table is empty; true while
    /// every direct COPY found its keys new; false for good once the table was not empty, or a COPY met a key it held.
    /// </summary>
    private bool? _firstLoad;

    /// <summary>Batches written by direct COPY since the destination was made (for tests).</summary>
    internal int DirectBatches { get; private set; }

    /// <summary>
    /// Writes <paramref name="rows"/> (one layout) by direct COPY when this is a first load and the batch holds new
    /// records only; false, having written nothing, when the batch must take the merge path.
    /// </summary>
    private async Task<bool> TryCopyDirectlyAsync(List<(int Index, RecordsRow Row)> rows, RecordsLayout layout, NpgsqlConnection connection,
        NpgsqlTransaction transaction, RecordsTable table, RecordsTable? groupsTable, CancellationToken ct)
    {
        if (_firstLoad is false || !MayCopyDirectly(layout, table, groupsTable) || rows.Exists(r => r.Row.Delete))
        {
            return false;
        }

        _firstLoad ??= await StartsEmptyAsync(connection, transaction, ct);
        if (_firstLoad is false)
        {
            return false;
        }

        BinaryCopyStream copy;
        BinaryCopyStream? memberships = null;
        try
        {
            copy = RecordsCopyRows.Rows(rows);
            memberships = _options.Groups is null ? null : RecordsCopyRows.Memberships(rows, layout);
        }
        catch (Exception e) when (e is NotSupportedException or System.Text.EncoderFallbackException)
        {
            // A value the merge's driver writes (or refuses) its own way.
            return false;
        }

        using (copy)
        using (memberships)
        {
            await ExecuteAsync(connection, transaction, $"SAVEPOINT {FirstLoadSavepoint}", ct);
            try
            {
                var columns = string.Join(", ", layout.Columns.Select(c => SqlNames.Quote(c.Column)));
                await RawCopyIn.RunAsync(connection, $"COPY {_options.QualifiedTable} ({columns}) FROM STDIN (FORMAT BINARY)", copy, ct);
                if (_options.Groups is { } groups && memberships is not null)
                {
                    await RawCopyIn.RunAsync(connection, $"COPY {groups.QualifiedTable} ({SqlNames.Quote(groups.ForeignKey)}, {SqlNames.Quote(groups.NameColumn)}) FROM STDIN (FORMAT BINARY)", memberships, ct);
                }
            }
            catch (PostgresException e)
            {
                await ExecuteAsync(connection, transaction, $"ROLLBACK TO SAVEPOINT {FirstLoadSavepoint}; RELEASE SAVEPOINT {FirstLoadSavepoint}", ct);
                if (e.SqlState is PostgresErrorCodes.UniqueViolation)
                {
                    // The table holds some of these records: not a first load (any more). The merge takes this batch and the rest.
                    _firstLoad = false;
                }
                else if (e.SqlState is PostgresErrorCodes.FeatureNotSupported or PostgresErrorCodes.InvalidBinaryRepresentation or PostgresErrorCodes.DatatypeMismatch)
                {
                    // The table refuses COPY (row-level security) or changed under us (a column's type): the merge converts.
                    _firstLoad = false;
                }

                // Anything else (a constraint, a value) the merge meets again, and reports as it always does.
                return false;
            }
        }

        await ExecuteAsync(connection, transaction, $"RELEASE SAVEPOINT {FirstLoadSavepoint}", ct);
        DirectBatches++;
        return true;
    }

    /// <summary>
    /// Sync and additive modes upsert, so a new record's upsert is its insert (enrich updates only, append keeps
    /// versions); one key column; every staged value of its column's own type (binary COPY does not cast: a
    /// timestamptz sent to a timestamp column would be taken as it is); and a groups table whose memberships cannot
    /// outlive their record (a foreign key to the table's key), so a key new to the table has none to remove.
    /// </summary>
    private bool MayCopyDirectly(RecordsLayout layout, RecordsTable table, RecordsTable? groupsTable)
    {
        if (_options.Mode is not (RecordsMode.Sync or RecordsMode.Additive) || _options.KeyColumns.Count != 1 || _options.SoftDelete || !table.KeyIsUnique ||
            layout.KeyIndex < 0)
        {
            return false;
        }

        foreach (var (column, type) in layout.Columns)
        {
            if (!RecordsCopyRows.Writes(type) || !table.Columns.TryGetValue(column, out var target) || !SameType(type, target))
            {
                return false;
            }
        }

        if (_options.Groups is { } groups)
        {
            var keyType = layout.Columns[layout.KeyIndex].Type;
            if (groupsTable is null || !groupsTable.Columns.TryGetValue(groups.ForeignKey, out var fk) || !SameType(keyType, fk) ||
                !groupsTable.Columns.TryGetValue(groups.NameColumn, out var name) || name != "text")
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// A staged type and a column's type (as <c>format_type</c> writes it) that binary COPY takes as they are. A numeric
    /// with a precision and scale (<c>numeric(18,2)</c>, a Salesforce currency field's column) is one: COPY hands the
    /// column's typmod to <c>numeric_recv</c>, which rounds to the scale and refuses a value too large as the merge's cast
    /// to the column does (22003, and the batch then takes the merge, which reports it as it always has).
    /// </summary>
    private static bool SameType(StagingType staged, string column) => staged.DbType is not null && (staged.Name == column || (staged.Name, column) switch
    {
        ("timestamptz", "timestamp with time zone") or ("timestamp", "timestamp without time zone") => true,
        ("numeric", _) => column.StartsWith("numeric(", StringComparison.Ordinal),
        _ => false,
    });

    /// <summary>
    /// Whether the table holds no row, and the groups table (when there is one) references it by a foreign key on the
    /// key: asked once, at the first write, in the batch's transaction.
    /// </summary>
    private async Task<bool> StartsEmptyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken ct)
    {
        var groups = _options.Groups;
        await using var command = new NpgsqlCommand(
            $"""
            SELECT NOT EXISTS (SELECT 1 FROM {_options.QualifiedTable})
               AND ($1::text IS NULL OR EXISTS (
                   SELECT 1 FROM pg_constraint c
                   WHERE c.contype = 'f' AND c.convalidated AND c.conrelid = $1::regclass AND c.confrelid = $2::regclass
                     AND c.conkey = ARRAY[(SELECT a.attnum FROM pg_attribute a WHERE a.attrelid = $1::regclass AND a.attname = $3)]
                     AND c.confkey = ARRAY[(SELECT a.attnum FROM pg_attribute a WHERE a.attrelid = $2::regclass AND a.attname = $4)]))
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)groups?.QualifiedTable ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = _options.QualifiedTable });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)groups?.ForeignKey ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = _options.Key });
        return (bool)(await command.ExecuteScalarAsync(ct))!;
    }
}
