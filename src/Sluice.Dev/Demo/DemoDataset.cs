using Npgsql;
using Sluice.Core.Errors;
using Sluice.Dev.Demo.Internal;

namespace Sluice.Dev.Demo;

/// <summary>
/// The demo's B2B SaaS dataset — <c>accounts</c>, <c>users</c>, <c>orders</c> — used by <c>sluice demo</c>,
/// the tests and the benchmarks. Rows are realistic (names, plans, money, jsonb, arrays, nulls, and many
/// users sharing one <c>updated_at</c>) and a pure function of the seed.
/// </summary>
public static partial class DemoDataset
{
    /// <summary>
    /// Creates the tables when missing and loads them with binary COPY, streaming, in one transaction, then
    /// adds keys and indexes and runs ANALYZE. When <c>users</c> already has rows it does nothing and returns
    /// what is there, so it is safe to call on every start.
    /// </summary>
    /// <param name="rowsLoaded">Rows loaded so far, across all tables, reported every 10,000 rows.</param>
    public static async Task<DemoDatasetSummary> CreateAsync(
        NpgsqlDataSource db, DemoDatasetOptions options, IProgress<long>? rowsLoaded = null, CancellationToken ct = default)
    {
        options.Validate();
        var schema = new DemoSchema(options.Schema);

        await using var connection = await db.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);

        // Two processes starting the demo at once: the second waits, then finds the tables full.
        await ExecuteAsync(connection, "SELECT pg_advisory_xact_lock(hashtextextended('sluice.demo:' || $1, 0))", ct, options.Schema);

        if (await ScalarAsync(connection, "SELECT to_regnamespace($1) IS NULL", ct, schema.QuotedName) is true)
        {
            await ExecuteAsync(connection, $"CREATE SCHEMA IF NOT EXISTS {schema.QuotedName}", ct);
        }

        var existing = await ExistingTablesAsync(connection, schema, ct);
        var present = await CountAsync(connection, schema, existing, ct);
        if (present.Users > 0)
        {
            return present;
        }

        if (present.Accounts > 0 || present.Orders > 0)
        {
            throw SluiceException.Config(
                $"the demo tables in schema \"{options.Schema}\" are partly filled ({present.Accounts} accounts, {present.Orders} orders, no users); " +
                "drop them, or load the demo into another schema");
        }

        await ExecuteAsync(connection, schema.CreateAccounts, ct);
        await ExecuteAsync(connection, schema.CreateUsers, ct);
        await ExecuteAsync(connection, schema.CreateOrders, ct);

        var rows = new DemoRows(options.Seed, DemoRows.AccountsFor(options.Users), options.OrdersPerUser);
        var progress = new DemoProgress(rowsLoaded);
        var accounts = await CopyAccountsAsync(connection, schema, freeze: !existing.Accounts, rows, DemoRows.AccountsFor(options.Users), progress, ct);
        var users = await CopyUsersAsync(connection, schema, freeze: !existing.Users, rows, options.Users, progress, ct);
        var orders = options.OrdersPerUser == 0 ? 0 : await CopyOrdersAsync(connection, schema, freeze: !existing.Orders, rows, options.Users, progress, ct);
        progress.Flush();

        // Keys only on the tables made here: tables that were already there keep whatever their owner gave them.
        if (!existing.Accounts)
        {
            await ExecuteAsync(connection, schema.ConstrainAccounts, ct);
        }

        if (!existing.Users)
        {
            await ExecuteAsync(connection, schema.ConstrainUsers, ct);
            await ExecuteAsync(connection, schema.ConstrainUsersForeignKeys, ct);
        }

        if (!existing.Orders)
        {
            await ExecuteAsync(connection, schema.ConstrainOrders, ct);
            await ExecuteAsync(connection, schema.ConstrainOrdersForeignKeys, ct);
        }

        foreach (var index in schema.Indexes)
        {
            await ExecuteAsync(connection, index, ct);
        }

        await ExecuteAsync(connection, $"ANALYZE {schema.Accounts}, {schema.Users}, {schema.Orders}", ct);
        await transaction.CommitAsync(ct);
        return new DemoDatasetSummary(accounts, users, orders);
    }

    private static async Task<(bool Accounts, bool Users, bool Orders)> ExistingTablesAsync(NpgsqlConnection connection, DemoSchema schema, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "SELECT to_regclass($1) IS NOT NULL, to_regclass($2) IS NOT NULL, to_regclass($3) IS NOT NULL", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = schema.Accounts });
        command.Parameters.Add(new NpgsqlParameter { Value = schema.Users });
        command.Parameters.Add(new NpgsqlParameter { Value = schema.Orders });
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (reader.GetBoolean(0), reader.GetBoolean(1), reader.GetBoolean(2));
    }

    private static async Task<DemoDatasetSummary> CountAsync(
        NpgsqlConnection connection, DemoSchema schema, (bool Accounts, bool Users, bool Orders) existing, CancellationToken ct)
    {
        static string Count(bool exists, string table) => exists ? $"(SELECT count(*) FROM {table})" : "0::bigint";

        await using var command = new NpgsqlCommand(
            $"SELECT {Count(existing.Accounts, schema.Accounts)}, {Count(existing.Users, schema.Users)}, {Count(existing.Orders, schema.Orders)}",
            connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return new DemoDatasetSummary(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct, params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql, CancellationToken ct, params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return await command.ExecuteScalarAsync(ct);
    }
}
