using Npgsql;
using Sluice.Testing;

namespace Sluice.Postgres.Tests;

public sealed class LocalClusterTests
{
    [Fact]
    public async Task Test_cluster_runs_with_logical_wal()
    {
        await using var dataSource = await TestPostgres.CreateDataSourceAsync(nameof(Test_cluster_runs_with_logical_wal));
        await using var command = dataSource.CreateCommand("SHOW wal_level");
        Assert.Equal("logical", await command.ExecuteScalarAsync());
    }
}
