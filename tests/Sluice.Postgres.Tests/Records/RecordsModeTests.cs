using Sluice.Core.Connectors;
using Sluice.Postgres.Destinations.Records;
using Sluice.Testing;

namespace Sluice.Postgres.Tests.Records;

/// <summary>The records export's modes on a real table: sync deletes, additive never does, enrich never inserts.</summary>
public sealed class RecordsModeTests : IAsyncLifetime
{
    private RecordsBed _bed = null!;

    public async Task InitializeAsync()
    {
        _bed = new RecordsBed(await TestPostgres.CreateDataSourceAsync(nameof(RecordsModeTests)));
        await _bed.CreateTablesAsync();
    }

    public async Task DisposeAsync() => await _bed.Db.DisposeAsync();

    [Fact]
    public async Task Sync_mode_creates_updates_and_deletes_rows()
    {
        await using var destination = _bed.Destination(RecordsMode.Sync);
        await _bed.WriteAsync(destination, _bed.Upsert(1, "a@x", 10m, "free"), _bed.Upsert(2, "b@x", 20m, "pro"));

        var results = await _bed.WriteAsync(destination, _bed.Upsert(1, "a2@x", 11m, "free"), _bed.Delete(2), _bed.Upsert(3, "c@x", null, null));

        Assert.Equal(["1", "2", "3"], results.Select(r => r.DestinationId));
        Assert.Equal(["(1,a2@x,11,free)", "(3,c@x,,)"], await _bed.RowsAsync());
        Assert.True(destination.AcceptsDeletes);
    }

    [Fact]
    public async Task Additive_mode_never_deletes()
    {
        await using var destination = _bed.Destination(RecordsMode.Additive);
        await _bed.WriteAsync(destination, _bed.Upsert(1, "a@x", 10m), _bed.Upsert(2, "b@x", 20m));

        await _bed.WriteAsync(destination, _bed.Delete(2), _bed.Upsert(1, "a2@x", 10m));

        Assert.False(destination.AcceptsDeletes);
        Assert.False(destination.Sends(_bed.Delete(1)));
        Assert.Equal(["(1,a2@x,10,)", "(2,b@x,20,)"], await _bed.RowsAsync());
    }

    [Fact]
    public async Task Enrich_mode_updates_existing_rows_and_never_inserts()
    {
        await TestSql.ExecuteAsync(_bed.Db, $"INSERT INTO {_bed.Table} VALUES (1, 'old@x', 1, 'free')");
        await using var destination = _bed.Destination(RecordsMode.Enrich);

        var results = await _bed.WriteAsync(destination, _bed.Upsert(1, "new@x", 5m, "pro"), _bed.Upsert(2, "b@x", 20m, "pro"));

        Assert.Equal(["(1,new@x,5,pro)"], await _bed.RowsAsync());
        Assert.Equal(WriteStatus.Ok, results[0].Status);
        Assert.False(results[0].LeftOut);
        Assert.True(results[1].LeftOut);
        Assert.Equal("left out: enrich mode, no existing row with id = 2 in public.customers", results[1].Reason);
        Assert.True(destination.RemembersRecords);
    }

    [Fact]
    public async Task A_property_that_becomes_null_clears_its_column()
    {
        await using var destination = _bed.Destination(RecordsMode.Additive);
        await _bed.WriteAsync(destination, _bed.Upsert(1, "a@x", 10m, "pro"));

        await _bed.WriteAsync(destination, _bed.Upsert(1, null, null, "pro"));

        Assert.Equal(["(1,,,pro)"], await _bed.RowsAsync());
    }

    [Fact]
    public async Task An_unchanged_row_is_not_rewritten()
    {
        await using var destination = _bed.Destination(RecordsMode.Sync);
        await _bed.WriteAsync(destination, _bed.Upsert(1, "a@x", 10m), _bed.Upsert(2, "b@x", 20m));
        var before = await _bed.RowVersionsAsync();

        await _bed.WriteAsync(destination, _bed.Upsert(1, "a@x", 10m), _bed.Upsert(2, "b2@x", 20m));

        var after = await _bed.RowVersionsAsync();
        Assert.Equal(before["(1,a@x,10,)"], after["(1,a@x,10,)"]);
        Assert.True(after.ContainsKey("(2,b2@x,20,)"));
    }

    [Fact]
    public async Task Two_versions_of_one_record_in_a_batch_leave_the_last()
    {
        await using var destination = _bed.Destination(RecordsMode.Sync);

        var results = await _bed.WriteAsync(destination, _bed.Upsert(1, "a@x", 10m), _bed.Upsert(1, "a2@x", 12m));

        Assert.All(results, r => Assert.Equal(WriteStatus.Ok, r.Status));
        Assert.Equal(["(1,a2@x,12,)"], await _bed.RowsAsync());
    }
}
