using System.Collections.Concurrent;
using System.Data;
using Npgsql;

namespace Sluice.Postgres.Destinations;

/// <summary>
/// The sessions an events-table destination writes through, each with its own staging table: a batch is one binary
/// COPY into the session's temporary table and one <c>INSERT … SELECT … ON CONFLICT DO NOTHING</c> from it, in one
/// transaction. COPY carries the values typed (uuid, timestamptz, jsonb) in PostgreSQL's binary format, where
/// <c>unnest</c> of one array per column had PostgreSQL build and walk eight arrays per batch.
/// </summary>
/// <remarks>
/// The staging table is created once per session (<c>ON COMMIT DELETE ROWS</c>: a commit empties it, a rollback
/// leaves it as empty as it was), so the sessions are kept open here rather than returned to the data source's
/// pool, whose reset on return (<c>DISCARD</c>) would drop it and make every batch create and drop a table in the
/// catalog. A session that broke is closed, never kept. A role that may not create temporary tables (TEMPORARY
/// revoked on the database) writes with the arrays instead: the table alone needs only INSERT.
/// </remarks>
internal sealed class EventsTableStaging(NpgsqlDataSource dataSource) : IAsyncDisposable
{
    /// <summary>The staging table's name in the session's own temporary schema (<c>pg_temp</c>).</summary>
    public const string Table = "sluice_events_staging";

    private static readonly string Create =
        $"CREATE TEMPORARY TABLE IF NOT EXISTS {Table} ({string.Join(", ", EventsTableDdl.Columns.Select(c => $"{SqlNames.Quote(c.Name)} {BareType(c.Type)}"))}) ON COMMIT DELETE ROWS";

    private static readonly string ColumnList = string.Join(", ", EventsTableDdl.Columns.Select(c => SqlNames.Quote(c.Name)));

    private static readonly string Copy = $"COPY pg_temp.{Table} ({ColumnList}) FROM STDIN (FORMAT BINARY)";

    private readonly ConcurrentBag<NpgsqlConnection> _idle = [];
    private volatile bool _unavailable;
    private volatile bool _disposed;

    /// <summary>
    /// An open session: with its staging table (<c>Staged</c>), or without when the role may not create one; give it
    /// back with <see cref="ReturnAsync"/>. Opening fails as <see cref="NpgsqlDataSource.OpenConnectionAsync"/> does.
    /// </summary>
    public async Task<(NpgsqlConnection Connection, bool Staged)> OpenAsync(CancellationToken ct)
    {
        while (_idle.TryTake(out var idle))
        {
            if (idle.FullState == ConnectionState.Open)
            {
                return (idle, true);
            }

            await idle.DisposeAsync();
        }

        var connection = await dataSource.OpenConnectionAsync(ct);
        if (_unavailable)
        {
            return (connection, false);
        }

        try
        {
            await using var command = new NpgsqlCommand(Create, connection);
            await command.ExecuteNonQueryAsync(ct);
            return (connection, true);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            // TEMPORARY revoked (PUBLIC has it by default): the arrays need nothing but INSERT on the table.
            _unavailable = true;
            return (connection, false);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Keeps a healthy staged session for the next batch; closes any other.</summary>
    public async ValueTask ReturnAsync(NpgsqlConnection connection, bool staged)
    {
        if (staged && !_disposed && connection.FullState == ConnectionState.Open)
        {
            _idle.Add(connection);
            if (!_disposed)
            {
                return;
            }

            // Disposed meanwhile: DisposeAsync may have drained the bag before the add.
            if (!_idle.TryTake(out var taken))
            {
                return;
            }

            connection = taken;
        }

        await connection.DisposeAsync();
    }

    /// <summary>
    /// Writes <paramref name="rows"/> into <paramref name="qualifiedTable"/> through the session's staging table, in
    /// one transaction: each event once, whatever the table or the batch already holds (its one unique key is
    /// <c>event_id</c>; no conflict target, so an INSERT-only role needs no SELECT). Throws what PostgreSQL refused.
    /// </summary>
    public static async Task WriteAsync(NpgsqlConnection connection, string qualifiedTable, BinaryCopyStream rows, CancellationToken ct)
    {
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await RawCopyIn.RunAsync(connection, Copy, rows, ct);

        // Its text depends on the table only: the data source's auto-prepare prepares it once per session.
        await using (var insert = new NpgsqlCommand($"INSERT INTO {qualifiedTable} ({ColumnList}) SELECT {ColumnList} FROM pg_temp.{Table} ON CONFLICT DO NOTHING", connection, transaction))
        {
            await insert.ExecuteNonQueryAsync(ct);
        }

        await transaction.CommitAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        while (_idle.TryTake(out var connection))
        {
            await connection.DisposeAsync();
        }
    }

    /// <summary>The column's type without its constraints: the staging table checks nothing, the events table does.</summary>
    private static string BareType(string type) => type.Replace(" PRIMARY KEY", "", StringComparison.Ordinal).Replace(" NOT NULL", "", StringComparison.Ordinal);
}
