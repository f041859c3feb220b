using Npgsql;
using Sluice.Testing;

namespace Sluice.Postgres.Tests;

/// <summary>Runs a test's own SQL (setup, changes, checks) on a data source; bring in with <c>using static</c>.</summary>
internal static class TestSql
{
    public static async Task ExecuteAsync(NpgsqlDataSource db, string sql)
    {
        await using var command = db.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    public static async Task<object?> ScalarAsync(NpgsqlDataSource db, string sql)
    {
        await using var command = db.CreateCommand(sql);
        return await command.ExecuteScalarAsync();
    }

    /// <summary>Runs SQL as the test cluster's superuser, in <paramref name="database"/> (roles are cluster-wide).</summary>
    public static async Task SuperuserAsync(string sql, string database = "postgres")
    {
        var cluster = await TestPostgres.GetClusterAsync();
        await using var connection = new NpgsqlConnection(cluster.ConnectionString(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
