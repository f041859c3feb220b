using System.Data;
using System.Runtime.CompilerServices;
using System.Text;
using Npgsql;
using Sluice.Core.Connectors;
using Sluice.Core.Records;
using Sluice.Postgres.Sources;

namespace Sluice.Postgres.Cdc;

internal sealed partial class CdcSource
{
    /// <summary>
    /// The tables' rows as of the slot's creation: read in one REPEATABLE READ transaction on the snapshot the slot
    /// exported, so every transaction committed before the slot's consistent point is in the copy and every later one
    /// in the stream. Rows stream from the server (memory stays flat); each is an added record with no version, so a
    /// row copied again after a crash gets the same content-based message id and is deduplicated downstream.
    /// </summary>
    /// <remarks>
    /// Every row's position says "copying" except the last one's, which is the consistent point: once it is committed,
    /// a restart streams from the slot instead of copying again. (A copy cannot resume: its snapshot died with the
    /// process that exported it.)
    /// </remarks>
    private async IAsyncEnumerable<Change> CopyAsync(IReadOnlyList<CdcTable> tables, ReadRequest request, string snapshot, CdcPosition end, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var transaction = await PostgresCall.RunAsync(_calls, () => connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct).AsTask());
        await using (var setup = new NpgsqlCommand($"SET TRANSACTION SNAPSHOT '{snapshot.Replace("'", "''", StringComparison.Ordinal)}'; {CdcSessionSettings.SetLocal}", connection, transaction))
        {
            await PostgresCall.RunAsync(_calls, () => setup.ExecuteNonQueryAsync(ct));
        }

        Copied? held = null;
        foreach (var table in tables)
        {
            var prefix = tables.Count > 1 ? table.ToString() : null;
            await using var command = new NpgsqlCommand(CopyQuery(table, request), connection, transaction)
            {
                // A large table's first row can take longer than the driver's 30 s default.
                CommandTimeout = 0,
            };
            await using var reader = await PostgresCall.RunAsync(_calls, () => command.ExecuteReaderAsync(ct));
            while (await PostgresCall.RunAsync(_calls, () => reader.ReadAsync(ct)))
            {
                var row = ReadCopied(reader, table, request, prefix);
                if (held is { } previous)
                {
                    yield return previous.ToChange(CdcPosition.Copy);
                }

                held = row;
            }
        }

        if (held is { } last)
        {
            yield return last.ToChange(end);
        }

        await PostgresCall.RunAsync(_calls, () => transaction.CommitAsync(ct));
    }

    private static string CopyQuery(CdcTable table, ReadRequest request)
    {
        var select = new StringBuilder();
        foreach (var column in request.Columns)
        {
            select.Append(SqlNames.Quote(column)).Append(table.ReadAsText.Contains(column) ? "::text, " : ", ");
        }

        foreach (var column in table.Key.Concat(request.Watched))
        {
            select.Append(SqlNames.Quote(column)).Append("::text, ");
        }

        return $"SELECT {select.ToString().TrimEnd(',', ' ')} FROM {table.Table.Qualified}";
    }

    private static Copied ReadCopied(NpgsqlDataReader reader, CdcTable table, ReadRequest request, string? prefix)
    {
        var width = request.Columns.Count;
        var values = new object?[width];
        for (var i = 0; i < width; i++)
        {
            values[i] = SourceValues.Read(reader, i);
        }

        var parts = new string?[table.Key.Count];
        for (var i = 0; i < parts.Length; i++)
        {
            parts[i] = reader.IsDBNull(width + i) ? null : reader.GetString(width + i);
        }

        Dictionary<string, string?>? watched = null;
        if (request.Watched.Count > 0)
        {
            watched = new Dictionary<string, string?>(request.Watched.Count, StringComparer.Ordinal);
            var first = width + parts.Length;
            for (var i = 0; i < request.Watched.Count; i++)
            {
                watched[request.Watched[i]] = reader.IsDBNull(first + i) ? null : reader.GetString(first + i);
            }
        }

        return new Copied(CdcKey.Format(parts, prefix), values, watched);
    }


    /// <summary>A copied row, held back one row so that the last one can carry the end of the copy.</summary>
    private readonly record struct Copied(string Key, object?[] Values, Dictionary<string, string?>? Watched)
    {
        public Change ToChange(CdcPosition position) => new(Key, ChangeOperation.Upsert, Values, position)
        {
            Kind = ChangeKinds.Added,
            Watched = Watched,
        };
    }
}
