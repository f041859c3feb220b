using Sluice.Core.Configuration;
using Sluice.Core.Engine;
using Sluice.Core.Mapping;
using Sluice.Core.State;
using Sluice.Postgres.Tests.Cdc;
using Sluice.Postgres.WriteBack;
using Sluice.State;
using Sluice.Testing.Doubles;

namespace Sluice.Postgres.Tests.WriteBack;

/// <summary>
/// A CDC sync with <c>write_back:</c>: each write-back is an UPDATE the replication stream hands back to the sync. The
/// engine must not take it for a change (it changed no column the mapping reads, so its fingerprint is the one last
/// sent), or every record would be sent twice and, with a trigger that touches the row, for ever.
/// </summary>
public sealed class WriteBackCdcTests
{
    private const int Rows = 50;

    [Fact]
    public async Task A_cdc_sync_does_not_take_its_own_write_back_for_a_change()
    {
        await using var bed = await CdcTestBed.CreateAsync("wb_cdc",
            $"CREATE TABLE users (id bigint PRIMARY KEY, email text, salesforce_id text); INSERT INTO users SELECT i, 'u' || i || '@example.com', NULL FROM generate_series(1, {Rows}) i");
        var store = await PostgresStateStore.OpenAsync(bed.Db);
        var destination = new IdAssigningDestination();
        await using var source = bed.Source("users_cdc", "connection: app\ntable: public.users\ncdc: true");
        var location = new ConfigLocation("test.yaml", 1, 1, "mapping");
        var sync = new SyncDefinition("users_cdc", source, new MappingSpec([new FieldSpec("id", "id", null, location), new FieldSpec("email", "email", null, location)], location),
            destination, new DeliveryGate(new RateLimitOptions(), TimeProvider.System), new SyncRunOptions { BatchSize = 10, FlushWindow = TimeSpan.FromMilliseconds(50) })
        {
            WriteBack = new PostgresWriteBack(bed.Db, bed.Connection, new WriteBackTarget("users", null, "salesforce_id", location)),
        };
        using var stop = new CancellationTokenSource();
        var run = Task.Run(() => new SyncRunner(store, TimeProvider.System).RunAsync(sync, RunKind.Incremental, stop.Token));

        await CdcTestBed.EventuallyAsync(async () => await bed.ScalarAsync<long>("SELECT count(*) FROM users WHERE salesforce_id IS NOT NULL") == Rows || run.IsCompleted,
            "every copied row's id written back");
        // The write-backs are in the WAL before this row: once its id is written back, the stream has passed them all.
        await bed.ExecuteAsync($"INSERT INTO users VALUES ({Rows + 1}, 'marker@example.com', NULL)");
        await CdcTestBed.EventuallyAsync(async () => await bed.ScalarAsync<long>($"SELECT count(*) FROM users WHERE id = {Rows + 1} AND salesforce_id IS NOT NULL") == 1 || run.IsCompleted,
            "the marker row's id written back");
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);

        Assert.Equal(Rows + 1, destination.Received.Count);
        Assert.Equal(Rows + 1, destination.Created);
    }
}
