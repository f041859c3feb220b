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

            var keyScan = $"""
                DECLARE sluice_keys NO SCROLL CURSOR FOR
                SELECT {resolved.KeyExpression} COLLATE "C", q.{QuerySourceShape.XminColumn}, q.{QuerySourceShape.CtidColumn}
                FROM ({shape.KeyScan}) AS q ORDER BY 1
                """;
            await using (var declare = new NpgsqlCommand(keyScan, connection, transaction))
            {
                await PostgresCall.RunAsync(_calls, () => declare.ExecuteNonQueryAsync(ct));
            }

            var fetch = $"SELECT {SelectList(resolved, request)}, q.{QuerySourceShape.CtidColumn} FROM ({shape.FetchByCtid}) AS q";
            return new QuerySourceSignalRead(connection, transaction, _calls, Description, since, now, fetch, request,
                (reader, width, key) =>
                {
                    RowsRead++;
                    return Record(reader, width, request.Watched, key, new QueryPosition(key, since));
                });
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
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
