using System.Security.Cryptography;
using System.Text;
using Npgsql;
using Sluice.Core.Connectors;

namespace Sluice.Postgres.Sources;

internal sealed partial class QuerySource
{
    /// <summary>
    /// For a table-shaped source whose checkpoint keeps the snapshot of a complete read this snapshot can trust
    /// (<see cref="QuerySourceSnapshot.CanVouchSince"/>): a read of keys with their change signal, in one REPEATABLE READ
    /// transaction with the fetches it serves. <c>null</c> otherwise: the engine reads every row and compares fingerprints.
    /// </summary>
    private async Task<IKeySignalRead?> OpenSignalReadAsync(ReadRequest request, CancellationToken ct)
    {
        var resolved = await ResolveAsync(ct);
        if (resolved.Shape is not { } shape || request.From is not { } from || QueryPosition.SinceOf(from, Description) is not { } since)
        {
            return null;
        }

        var connection = await OpenAsync(ct);
        try
        {
            if (!Snapshots(connection))
            {
                await connection.DisposeAsync();
                return null;
            }

            var transaction = await PostgresCall.RunAsync(_calls, () => connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct).AsTask());
            var now = await TakeSnapshotAsync(connection, resolved, request, ct);
            if (!now.CanVouchSince(since))
            {
                await transaction.DisposeAsync();
                await connection.DisposeAsync();
                return null;
            }

            var nativeKeys = await NativeKeysAsync(connection, transaction, resolved, shape, ct);
            var keyScan = $"""
                DECLARE sluice_keys NO SCROLL CURSOR FOR
                SELECT {resolved.KeyExpression} COLLATE "C", q.{QuerySourceShape.XminColumn}, q.{QuerySourceShape.CtidColumn}
                FROM ({shape.KeyScan}) AS q ORDER BY 1
                """;
            var nativeKeyScan = nativeKeys == NativeKeyType.None ? null : $"""
                COPY (SELECT (q.{SqlNames.Quote(resolved.Key[0])}){(nativeKeys == NativeKeyType.Integer ? "::int8" : "")}, q.{QuerySourceShape.XminColumn}, q.{QuerySourceShape.CtidColumn}
                FROM ({shape.KeyScan}) AS q) TO STDOUT (FORMAT binary)
                """;

            var fetch = $"SELECT {SelectList(resolved, request)}, q.{QuerySourceShape.CtidColumn} FROM ({shape.FetchByCtid}) AS q";
            return new QuerySourceSignalRead(connection, transaction, _calls, Description, since, now, new QuerySourceKeyScans(keyScan, nativeKeys, nativeKeyScan), fetch, request,
                (reader, width, key) =>
                {
                    RowsRead++;
                    return Record(reader, width, request.Watched, key, new QueryPosition(key, since));
                },
                OpenAsync,
                () => KeyScansInTableOrder++);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Whether the source's keys can be read unsorted as integers or uuids (<see cref="IKeySignalRead.NativeKeys"/>): one
    /// key column that is the table's own <c>smallint</c>, <c>integer</c>, <c>bigint</c> or <c>uuid</c> column, with a
    /// unique index on it alone, so that no key comes twice (a merge by text finds a repeated key by the order; a scan in
    /// the table's order cannot). Checked in the read's transaction, after its snapshot: an index dropped since cannot
    /// have let a repeated key into it.
    /// </summary>
    private async Task<NativeKeyType> NativeKeysAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Resolved resolved, QuerySourceShape shape, CancellationToken ct)
    {
        if (resolved.Key.Count != 1)
        {
            return NativeKeyType.None;
        }

        Npgsql.Schema.NpgsqlDbColumn column;
        await using (var describe = new NpgsqlCommand($"SELECT q.{SqlNames.Quote(resolved.Key[0])} FROM ({shape.KeyScan}) AS q LIMIT 0", connection, transaction))
        await using (var reader = await PostgresCall.RunAsync(_calls, () => describe.ExecuteReaderAsync(System.Data.CommandBehavior.SchemaOnly, ct)))
        {
            column = (Npgsql.Schema.NpgsqlDbColumn)(await reader.GetColumnSchemaAsync(ct))[0];
        }

        // PostgreSQL's type oids: int2, int4, int8, uuid.
        var type = column.TypeOID switch
        {
            21 or 23 or 20 => NativeKeyType.Integer,
            2950 => NativeKeyType.Uuid,
            _ => NativeKeyType.None,
        };
        if (type == NativeKeyType.None || column.TableOID == 0 || column.ColumnAttributeNumber is not { } attribute || attribute <= 0)
        {
            return NativeKeyType.None;
        }

        await using var unique = new NpgsqlCommand(
            """
            SELECT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = $1 AND i.indisunique AND i.indisvalid AND i.indnkeyatts = 1
                           AND i.indkey[0] = $2 AND i.indpred IS NULL AND i.indexprs IS NULL)
            """, connection, transaction);
        unique.Parameters.Add(new NpgsqlParameter { Value = column.TableOID, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Oid });
        unique.Parameters.Add(new NpgsqlParameter { Value = attribute, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Smallint });
        return await PostgresCall.RunAsync(_calls, () => unique.ExecuteScalarAsync(ct)) is true ? type : NativeKeyType.None;
    }

    /// <summary>Whether the server has <c>pg_current_snapshot()</c> (PostgreSQL 13).</summary>
    private static bool Snapshots(NpgsqlConnection connection) => connection.PostgreSqlVersion.Major >= 13;

    /// <summary>The snapshot of the transaction just begun (its first statement takes it), with where and what it reads.</summary>
    private async Task<QuerySourceSnapshot> TakeSnapshotAsync(NpgsqlConnection connection, Resolved resolved, ReadRequest request, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT pg_current_snapshot()::text,
                   CASE WHEN has_function_privilege('pg_control_system()', 'EXECUTE') THEN (SELECT system_identifier FROM pg_control_system())::text ELSE 'cluster' END
                   || '/' || (SELECT oid FROM pg_database WHERE datname = current_database())::text
            """, connection);
        await using var reader = await PostgresCall.RunAsync(_calls, () => command.ExecuteReaderAsync(ct));
        await reader.ReadAsync(ct);
        return QuerySourceSnapshot.Parse(reader.GetString(0), reader.GetString(1), ShapeOf(resolved, request));
    }

    /// <summary>A hash of what a read reads: the same snapshot vouches for another query, key or mapping's rows not at all.</summary>
    private static string ShapeOf(Resolved resolved, ReadRequest request)
    {
        var text = new StringBuilder("v1\0").Append(resolved.Query).Append('\0').AppendJoin('\u0001', resolved.Key).Append('\0')
            .AppendJoin('\u0001', request.Columns).Append('\0').AppendJoin('\u0001', request.Watched).Append('\0')
            .AppendJoin('\u0001', request.Columns.Where(resolved.ReadAsText.Contains));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())).AsSpan(0, 16));
    }
}
