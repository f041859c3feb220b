using Npgsql;
using Npgsql.Replication;
using Npgsql.Replication.PgOutput;
using Sluice.Postgres.Cdc;
using Sluice.State;
using Sluice.Testing;
using static Sluice.Postgres.Tests.TestSql;

namespace Sluice.Postgres.Tests.Cdc;

public sealed class SlotPrunerTests
{
    private static int _counter;

    [Fact]
    public async Task A_removed_syncs_slot_and_publication_are_found_and_dropped_and_nothing_else_is()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync("prune_orphans");
        var kept = NewName();
        var removed = NewName();
        var foreign = $"other_{Environment.ProcessId}_{Interlocked.Increment(ref _counter)}";
        await ExecuteAsync(db, $"""
            CREATE TABLE accounts (id bigint PRIMARY KEY);
            CREATE PUBLICATION {kept} FOR TABLE accounts;
            CREATE PUBLICATION {removed} FOR TABLE accounts;
            """);
        // Alone: a slot is not made in a transaction that wrote.
        await ExecuteAsync(db, $"SELECT pg_create_logical_replication_slot('{kept}', 'pgoutput'), pg_create_logical_replication_slot('{removed}', 'pgoutput'), pg_create_logical_replication_slot('{foreign}', 'pgoutput')");
        try
        {
            var orphans = await SlotPruner.FindOrphansAsync(db, new HashSet<string> { kept }, CancellationToken.None);

            Assert.Equal([(SlotPruner.OrphanKind.Slot, removed), (SlotPruner.OrphanKind.Publication, removed)], orphans.Select(o => (o.Kind, o.Name)));
            foreach (var orphan in orphans)
            {
                var outcome = await SlotPruner.DropAsync(db, orphan, force: false, CancellationToken.None);
                Assert.True(outcome.Dropped, outcome.Problem);
            }

            Assert.Equal(0L, await ScalarAsync(db, $"SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{removed}'"));
            Assert.Equal(0L, await ScalarAsync(db, $"SELECT count(*) FROM pg_publication WHERE pubname = '{removed}'"));
            Assert.Equal(2L, await ScalarAsync(db, $"SELECT count(*) FROM pg_replication_slots WHERE slot_name IN ('{kept}', '{foreign}')"));
            Assert.Equal(1L, await ScalarAsync(db, $"SELECT count(*) FROM pg_publication WHERE pubname = '{kept}'"));
            Assert.Empty(await SlotPruner.FindOrphansAsync(db, new HashSet<string> { kept }, CancellationToken.None));
        }
        finally
        {
            await ExecuteAsync(db, $"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name IN ('{kept}', '{removed}', '{foreign}')");
        }
    }

    [Fact]
    public async Task A_slot_with_a_reader_is_left_alone_unless_forced()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync("prune_active");
        await using var db = NpgsqlDataSource.Create(connectionString);
        var name = NewName();
        await ExecuteAsync(db, $"CREATE TABLE accounts (id bigint PRIMARY KEY); CREATE PUBLICATION {name} FOR TABLE accounts");
        await using var replication = new LogicalReplicationConnection(connectionString);
        await replication.Open();
        var slot = await replication.CreatePgOutputReplicationSlot(name);
        using var stop = new CancellationTokenSource();
        var reading = Task.Run(async () =>
        {
            try
            {
                await foreach (var message in replication.StartReplication(slot, new PgOutputReplicationOptions(name, PgOutputProtocolVersion.V1), stop.Token))
                {
                    _ = message;
                }
            }
            catch (Exception e) when (e is OperationCanceledException or NpgsqlException or PostgresException or ObjectDisposedException or InvalidOperationException)
            {
                // Ended by the test: cancelled, or terminated by --force.
            }
        });
        try
        {
            var orphan = await WaitForActiveAsync(db, name);

            var polite = await SlotPruner.DropAsync(db, orphan, force: false, CancellationToken.None);
            Assert.False(polite.Dropped);
            Assert.Contains($"in use by pid {orphan.ActivePid}", polite.Problem, StringComparison.Ordinal);
            Assert.Equal(1L, await ScalarAsync(db, $"SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{name}'"));

            var forced = await SlotPruner.DropAsync(db, orphan, force: true, CancellationToken.None);
            Assert.True(forced.Dropped, forced.Problem);
            Assert.Equal(0L, await ScalarAsync(db, $"SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{name}'"));
        }
        finally
        {
            await stop.CancelAsync();
            await reading;
            await ExecuteAsync(db, $"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '{name}' AND NOT active");
        }
    }

    [Fact]
    public async Task Forgetting_a_removed_sync_deletes_its_state_and_keeps_declared_syncs_and_their_backfills()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync("prune_state");
        var store = await PostgresStateStore.OpenAsync(db, "sluice", CancellationToken.None);
        foreach (var sync in new[] { "kept", "kept#backfill", "removed" })
        {
            await using var lease = await store.TryAcquireAsync(sync, CancellationToken.None);
            Assert.NotNull(lease);
        }

        var forgotten = await SlotPruner.FindForgottenSyncsAsync(db, "sluice", new HashSet<string> { "kept" }, CancellationToken.None);
        Assert.Equal(["removed"], forgotten);

        await SlotPruner.ForgetSyncAsync(db, "sluice", "removed", CancellationToken.None);

        Assert.Equal(2L, await ScalarAsync(db, "SELECT count(*) FROM sluice.syncs WHERE name IN ('kept', 'kept#backfill')"));
        Assert.Equal(0L, await ScalarAsync(db, "SELECT count(*) FROM sluice.syncs WHERE name = 'removed'"));
        Assert.Empty(await SlotPruner.FindForgottenSyncsAsync(db, "sluice", new HashSet<string> { "kept" }, CancellationToken.None));
    }

    private static async Task<SlotPruner.Orphan> WaitForActiveAsync(NpgsqlDataSource db, string name)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var orphan = (await SlotPruner.FindOrphansAsync(db, new HashSet<string>(), CancellationToken.None)).Single(o => o.Name == name && o.Kind == SlotPruner.OrphanKind.Slot);
            if (orphan.Active)
            {
                return orphan;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"slot {name} never became active");
    }

    private static string NewName() => $"{CdcNames.Prefix}p{Environment.ProcessId}_{Interlocked.Increment(ref _counter)}";
}
