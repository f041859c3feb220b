using Sluice.Postgres.Destinations.Records;
using Sluice.Testing;

namespace Sluice.Postgres.Tests.Records;

/// <summary>Group memberships are exported by difference: only the memberships that changed are inserted or deleted.</summary>
public sealed class RecordsGroupsTests : IAsyncLifetime
{
    private static readonly Dictionary<string, string> Groups = new()
    {
        ["high_value"] = "lifetime_value > 1000",
        ["pro"] = "plan IN ('pro', 'team') AND email IS NOT NULL",
        ["unknown_value"] = "lifetime_value IS NULL",
    };

    private RecordsBed _bed = null!;

    public async Task InitializeAsync()
    {
        _bed = new RecordsBed(await TestPostgres.CreateDataSourceAsync(nameof(RecordsGroupsTests)));
        await _bed.CreateTablesAsync();
    }

    public async Task DisposeAsync() => await _bed.Db.DisposeAsync();

    [Fact]
    public async Task Membership_changes_add_and_remove_exactly_the_changed_rows()
    {
        await using var destination = _bed.Destination(RecordsMode.Sync, Groups);
        await _bed.WriteAsync(destination, _bed.Upsert(1, "a@x", 5000m, "pro"), _bed.Upsert(2, "b@x", 10m, "free"), _bed.Upsert(3, "c@x", 2000m, "free"));
        Assert.Equal(["(1,high_value)", "(1,pro)", "(3,high_value)"], await _bed.GroupsAsync());
        var before = await _bed.GroupVersionsAsync();

        // 1 leaves pro; 2 becomes high value; 3 is unchanged; 4 is new with no value.
        await _bed.WriteAsync(destination, _bed.Upsert(1, "a@x", 5000m, "free"), _bed.Upsert(2, "b@x", 1500m, "free"), _bed.Upsert(3, "c@x", 2000m, "free"),
            _bed.Upsert(4, "d@x", null, "team"));

        var after = await _bed.GroupVersionsAsync();
        Assert.Equal(["(1,high_value)", "(2,high_value)", "(3,high_value)", "(4,pro)", "(4,unknown_value)"], after.Keys.Order());
        // The memberships that did not change were not rewritten (same xmin); the new ones were written by one later transaction.
        Assert.Equal(before["(1,high_value)"], after["(1,high_value)"]);
        Assert.Equal(before["(3,high_value)"], after["(3,high_value)"]);
        Assert.NotEqual(before["(1,high_value)"], after["(2,high_value)"]);
    }

    [Fact]
    public async Task A_deleted_record_loses_its_memberships_and_others_keep_theirs()
    {
        await using var destination = _bed.Destination(RecordsMode.Sync, Groups);
        await _bed.WriteAsync(destination, _bed.Upsert(1, "a@x", 5000m, "pro"), _bed.Upsert(2, "b@x", 5000m, "free"));

        await _bed.WriteAsync(destination, _bed.Delete(1));

        Assert.Equal(["(2,b@x,5000,free)"], await _bed.RowsAsync());
        Assert.Equal(["(2,high_value)"], await _bed.GroupsAsync());
    }

    [Fact]
    public async Task Enrich_mode_writes_memberships_only_for_rows_that_exist()
    {
        await TestSql.ExecuteAsync(_bed.Db, $"INSERT INTO {_bed.Table} VALUES (1, 'a@x', 1, 'free')");
        await using var destination = _bed.Destination(RecordsMode.Enrich, Groups);

        await _bed.WriteAsync(destination, _bed.Upsert(1, "a@x", 5000m, "free"), _bed.Upsert(2, "b@x", 5000m, "free"));

        Assert.Equal(["(1,high_value)"], await _bed.GroupsAsync());
    }

    [Fact]
    public async Task Writing_the_same_batch_again_changes_nothing()
    {
        await using var destination = _bed.Destination(RecordsMode.Sync, Groups);
        await _bed.WriteAsync(destination, _bed.Upsert(1, "a@x", 5000m, "pro"));
        var (rows, groups) = (await _bed.RowVersionsAsync(), await _bed.GroupVersionsAsync());

        await _bed.WriteAsync(destination, _bed.Upsert(1, "a@x", 5000m, "pro"));

        Assert.Equal(rows, await _bed.RowVersionsAsync());
        Assert.Equal(groups, await _bed.GroupVersionsAsync());
    }
}
