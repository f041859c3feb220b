using Sluice.Postgres.Destinations.Records;
using Sluice.Testing;

namespace Sluice.Postgres.Tests.Records;

/// <summary>Table, column and group names that would break or inject into unquoted SQL are written as names, never as SQL.</summary>
public sealed class RecordsHostileNamesTests : IAsyncLifetime
{
    private RecordsBed _bed = null!;

    public async Task InitializeAsync()
    {
        _bed = new RecordsBed(await TestPostgres.CreateDataSourceAsync(nameof(RecordsHostileNamesTests)),
            schema: "Sales \"EU\"", table: "cust'omers; DROP TABLE x", groupsTable: "Groups\"--", key: "Id \"key\"", foreignKey: "cust id", nameColumn: "group\nname")
        {
            Columns = ("Id \"key\"", "e'mail", "lifetime value)", "plan; --"),
        };
        await _bed.CreateTablesAsync();
    }

    public async Task DisposeAsync() => await _bed.Db.DisposeAsync();

    [Fact]
    public async Task Hostile_names_are_quoted_everywhere()
    {
        var groups = new Dictionary<string, string> { ["'); DROP TABLE x; --"] = "\"lifetime value)\" > 1", ["pro\""] = "\"plan; --\" = 'pro'" };
        await using var destination = _bed.Destination(RecordsMode.Sync, groups);
        await destination.CheckAsync(CancellationToken.None);

        await _bed.WriteAsync(destination, _bed.Upsert(1, "a@x", 5m, "pro"), _bed.Upsert(2, "b@x", 0m, "free"));
        await _bed.WriteAsync(destination, _bed.Delete(2), _bed.Upsert(1, "a'@x", 5m, "free"));

        Assert.Equal(["(1,a'@x,5,free)"], await _bed.RowsAsync());
        Assert.Equal(["(1,\"'); DROP TABLE x; --\")"], await _bed.GroupsAsync());
    }
}
