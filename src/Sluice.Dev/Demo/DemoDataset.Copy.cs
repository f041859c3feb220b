using Npgsql;
using NpgsqlTypes;
using Sluice.Dev.Demo.Internal;

namespace Sluice.Dev.Demo;

/// <summary>The binary COPY of each table, one generated row at a time.</summary>
public static partial class DemoDataset
{
    private static async Task<long> CopyAccountsAsync(
        NpgsqlConnection connection, DemoSchema schema, bool freeze, DemoRows rows, long count, DemoProgress progress, CancellationToken ct)
    {
        await using var importer = await connection.BeginBinaryImportAsync(schema.CopyAccounts(freeze), ct);
        for (var id = 1L; id <= count; id++)
        {
            var a = rows.Account(id);
            await importer.StartRowAsync(ct);
            await importer.WriteAsync(a.Id, NpgsqlDbType.Bigint, ct);
            await importer.WriteAsync(a.Name, NpgsqlDbType.Text, ct);
            await importer.WriteAsync(a.Domain, NpgsqlDbType.Text, ct);
            await importer.WriteAsync(a.Plan, NpgsqlDbType.Text, ct);
            await importer.WriteAsync(a.Seats, NpgsqlDbType.Integer, ct);
            await importer.WriteAsync(a.Mrr, NpgsqlDbType.Numeric, ct);
            await importer.WriteAsync(a.CreatedAt, NpgsqlDbType.TimestampTz, ct);
            await importer.WriteAsync(a.UpdatedAt, NpgsqlDbType.TimestampTz, ct);
            progress.Add();
        }

        await importer.CompleteAsync(ct);
        return count;
    }

    private static async Task<long> CopyUsersAsync(
        NpgsqlConnection connection, DemoSchema schema, bool freeze, DemoRows rows, long count, DemoProgress progress, CancellationToken ct)
    {
        await using var importer = await connection.BeginBinaryImportAsync(schema.CopyUsers(freeze), ct);
        for (var id = 1L; id <= count; id++)
        {
            var u = rows.User(id);
            await importer.StartRowAsync(ct);
            await importer.WriteAsync(u.Id, NpgsqlDbType.Bigint, ct);
            await importer.WriteAsync(u.AccountId, NpgsqlDbType.Bigint, ct);
            await importer.WriteAsync(u.Email, NpgsqlDbType.Text, ct);
            await importer.WriteAsync(u.FirstName, NpgsqlDbType.Text, ct);
            await importer.WriteAsync(u.LastName, NpgsqlDbType.Text, ct);
            await importer.WriteAsync(u.Plan, NpgsqlDbType.Text, ct);
            await importer.WriteAsync(u.Status, NpgsqlDbType.Text, ct);
            await importer.WriteAsync(u.SignupAt, NpgsqlDbType.TimestampTz, ct);
            if (u.LastSeenAt is { } lastSeenAt)
            {
                await importer.WriteAsync(lastSeenAt, NpgsqlDbType.TimestampTz, ct);
            }
            else
            {
                await importer.WriteNullAsync(ct);
            }

            await importer.WriteAsync(u.LifetimeValue, NpgsqlDbType.Numeric, ct);
            await importer.WriteAsync(u.Country, NpgsqlDbType.Char, ct);
            await importer.WriteAsync(u.Attributes, NpgsqlDbType.Jsonb, ct);
            await importer.WriteAsync(u.Tags, NpgsqlDbType.Array | NpgsqlDbType.Text, ct);
            await importer.WriteAsync(u.UpdatedAt, NpgsqlDbType.TimestampTz, ct);
            progress.Add();
        }

        await importer.CompleteAsync(ct);
        return count;
    }

    private static async Task<long> CopyOrdersAsync(
        NpgsqlConnection connection, DemoSchema schema, bool freeze, DemoRows rows, long users, DemoProgress progress, CancellationToken ct)
    {
        await using var importer = await connection.BeginBinaryImportAsync(schema.CopyOrders(freeze), ct);
        var orders = 0L;
        for (var userId = 1L; userId <= users; userId++)
        {
            foreach (var o in rows.OrdersOf(rows.User(userId), firstOrderId: orders + 1))
            {
                await importer.StartRowAsync(ct);
                await importer.WriteAsync(o.Id, NpgsqlDbType.Bigint, ct);
                await importer.WriteAsync(o.UserId, NpgsqlDbType.Bigint, ct);
                await importer.WriteAsync(o.Amount, NpgsqlDbType.Numeric, ct);
                await importer.WriteAsync(o.Currency, NpgsqlDbType.Char, ct);
                await importer.WriteAsync(o.Status, NpgsqlDbType.Text, ct);
                await importer.WriteAsync(o.CreatedAt, NpgsqlDbType.TimestampTz, ct);
                await importer.WriteAsync(o.UpdatedAt, NpgsqlDbType.TimestampTz, ct);
                orders++;
                progress.Add();
            }
        }

        await importer.CompleteAsync(ct);
        return orders;
    }
}
