using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Npgsql;
using Sluice.Core.Errors;

namespace Sluice.Postgres.Destinations.Warehouse.Internal;

/// <summary>
/// Keeps the warehouse schema ahead of the rows: creates the schema, the <c>discards</c> table, new tables and new
/// columns before a batch is loaded, and caches the catalog between batches (read on first use, again after DDL and
/// whenever a load finds it stale).
/// </summary>
/// <remarks>
/// DDL runs in a short transaction of its own, committed before the batch's data, under a transaction-level advisory
/// lock per schema: two processes loading the same schema take turns, and the second re-reads the catalog under the
/// lock, so it neither races on <c>CREATE TABLE IF NOT EXISTS</c> (which can fail with a unique violation on
/// <c>pg_type</c> when two sessions create one table) nor adds a column the first just added with another type. DDL
/// is additive and idempotent, so a crash between it and the data leaves only empty columns. Every wait is bounded by
/// <c>lock_timeout</c>: a lock that is not granted in time is retried a few times, then reported as transient.
/// </remarks>
internal sealed class WarehouseSchemaEvolver(NpgsqlDataSource dataSource, string schemaName, TimeSpan lockTimeout, int maxColumns, WarehouseErrors errors)
{
    private const int LockAttempts = 3;
    private readonly long _lockKey = AdvisoryLockKey(schemaName);
    private WarehouseCatalog? _catalog;

    /// <summary>Forgets the cached catalog; the next batch reads it again.</summary>
    public void Invalidate() => _catalog = null;

    /// <summary>The catalog once every table and column <paramref name="rows"/> need exists, as far as each table's
    /// column budget allows (<see cref="WarehouseColumnBudget"/>).</summary>
    public async Task<WarehouseCatalog> EnsureAsync(IReadOnlyList<WarehouseRow> rows, CancellationToken ct)
    {
        if (_catalog is null)
        {
            await using var connection = await Open(ct);
            _catalog = await Read(connection, null, ct);
        }

        if (IsReady(_catalog, rows))
        {
            return _catalog;
        }

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                _catalog = await EvolveAsync(rows, ct);
                return _catalog;
            }
            catch (WarehouseDdlException e) when (e.InnerException is PostgresException { SqlState: "55P03" } && attempt < LockAttempts)
            {
                // lock_timeout expired behind another session's transaction; the wait itself was the backoff.
            }
            catch (WarehouseDdlException e)
            {
                throw errors.Translate(e.InnerException!, e.Step, e.Table);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                throw errors.Translate(e, WarehouseStep.CreateTable);
            }
        }
    }

    private bool IsReady(WarehouseCatalog catalog, IReadOnlyList<WarehouseRow> rows) =>
        catalog.SchemaExists && catalog.Schema.HasTable(WarehouseDdl.DiscardsTable)
        && WarehouseSchemaPlanner.Changes(catalog.Schema, rows, maxColumns).Count == 0;

    private async Task<WarehouseCatalog> EvolveAsync(IReadOnlyList<WarehouseRow> rows, CancellationToken ct)
    {
        await using var connection = await Open(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await Execute(connection, transaction, $"SET LOCAL lock_timeout = '{(long)lockTimeout.TotalMilliseconds}ms'", WarehouseStep.LockSchema, null, ct);
        await Execute(connection, transaction, $"SELECT pg_advisory_xact_lock({_lockKey.ToString(CultureInfo.InvariantCulture)})", WarehouseStep.LockSchema, null, ct);

        // Another process may have done some or all of it while this one waited for the lock.
        var catalog = await Read(connection, transaction, ct);
        var statements = new List<(string Sql, WarehouseStep Step, string? Table)>();
        if (!catalog.SchemaExists)
        {
            // Not CREATE SCHEMA IF NOT EXISTS on an existing schema: it checks CREATE on the database first.
            statements.Add((WarehouseDdl.CreateSchema(schemaName), WarehouseStep.CreateSchema, null));
        }

        if (!catalog.Schema.HasTable(WarehouseDdl.DiscardsTable))
        {
            statements.Add((WarehouseDdl.CreateDiscardsTable(schemaName), WarehouseStep.CreateTable, WarehouseDdl.DiscardsTable));
        }

        foreach (var change in WarehouseSchemaPlanner.Changes(catalog.Schema, rows, maxColumns))
        {
            statements.Add(change.IsNew
                ? (WarehouseDdl.CreateTable(schemaName, change.Table, change.Columns), WarehouseStep.CreateTable, change.Table)
                : (WarehouseDdl.AddColumns(schemaName, change.Table, change.Columns), WarehouseStep.AlterTable, change.Table));
        }

        foreach (var (sql, step, table) in statements)
        {
            await Execute(connection, transaction, sql, step, table, ct);
        }

        if (statements.Count > 0)
        {
            catalog = await Read(connection, transaction, ct);
        }

        if (WarehouseSchemaPlanner.Changes(catalog.Schema, rows, maxColumns) is { Count: > 0 } missing)
        {
            // CREATE TABLE IF NOT EXISTS skips a view or sequence of that name and leaves nothing to write into.
            throw SluiceException.Fatal(
                $"{string.Join(", ", missing.Select(c => $"\"{schemaName}\".\"{c.Table}\""))} could not be created or changed: "
                + "another kind of object (a view, a sequence, a foreign table) has the name; rename or drop it");
        }

        await transaction.CommitAsync(ct);
        return catalog;
    }

    private async Task<WarehouseCatalog> Read(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken ct)
    {
        try
        {
            return await WarehouseCatalog.ReadAsync(connection, transaction, schemaName, ct);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            throw errors.Translate(e, WarehouseStep.ReadCatalog);
        }
    }

    private async Task<NpgsqlConnection> Open(CancellationToken ct)
    {
        try
        {
            return await dataSource.OpenConnectionAsync(ct);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
        {
            throw errors.Translate(e, WarehouseStep.ReadCatalog);
        }
    }

    private static async Task Execute(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, WarehouseStep step, string? table, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        try
        {
            await command.ExecuteNonQueryAsync(ct);
        }
        catch (PostgresException e)
        {
            throw new WarehouseDdlException(step, table, e);
        }
    }

    /// <summary>One 64-bit key per schema name, the same in every process (string.GetHashCode is randomised).</summary>
    private static long AdvisoryLockKey(string schema) =>
        BinaryPrimitives.ReadInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes("sluice.warehouse." + schema)));

    /// <summary>Carries the step that failed to the one place that translates it.</summary>
    private sealed class WarehouseDdlException(WarehouseStep step, string? table, PostgresException inner) : Exception(inner.Message, inner)
    {
        public WarehouseStep Step { get; } = step;

        public string? Table { get; } = table;
    }
}
