using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Engine;
using Sluice.Core.Mapping;
using Sluice.Core.State;
using Sluice.State;
using Sluice.Testing;
using Sluice.Testing.Doubles;
using static Sluice.Postgres.Tests.Models.ModelBed;
using static Sluice.Postgres.Tests.TestSql;

namespace Sluice.Postgres.Tests.Models;

/// <summary>A model through the engine: sent once, then only what a changed row changed; the state store remembers once-runs.</summary>
public sealed class ModelSyncTests
{
    private static readonly ConfigLocation Location = new("sluice.yaml", 1, 1, "syncs.s.mapping");

    [Fact]
    public async Task A_new_order_sends_only_its_customer_and_a_run_without_changes_sends_nothing_but_keeps_its_place()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_new_order_sends_only_its_customer_and_a_run_without_changes_sends_nothing_but_keeps_its_place));
        await ExecuteAsync(db, Tables + """
            INSERT INTO customers (id, email) SELECT i, 'c' || i || '@example.com' FROM generate_series(1, 250) i;
            INSERT INTO orders (id, customer_id, amount, status) SELECT i, 1 + i % 250, i, 'paid' FROM generate_series(1, 1000) i;
            """);
        var store = await PostgresStateStore.OpenAsync(db);
        var source = Source(db);
        var destination = new FakeDestination();
        var sync = Sync(source, destination);

        var first = await new SyncRunner(store, TimeProvider.System).RunAsync(sync, RunKind.Incremental, default);
        Assert.Equal((250L, 250L), (first.Read, first.Acknowledged));

        await ExecuteAsync(db, "INSERT INTO orders (id, customer_id, amount, status) VALUES (5000, 42, 1, 'paid')");
        var second = await new SyncRunner(store, TimeProvider.System).RunAsync(sync, RunKind.Incremental, default);
        Assert.Equal((1L, 1L), (second.Read, second.Acknowledged));
        Assert.Equal(["42"], source.RecomputedKeys);
        Assert.Equal(["42"], destination.Calls[^1].Keys);

        // The order is touched without changing what the customer's record holds: recomputed, not sent, and the cursors move on.
        await ExecuteAsync(db, "UPDATE orders SET updated_at = clock_timestamp() WHERE id = 5000");
        var before = await CheckpointAsync(db);
        var third = await new SyncRunner(store, TimeProvider.System).RunAsync(sync, RunKind.Incremental, default);
        Assert.Equal((0L, 0L), (third.Read, third.Acknowledged));
        Assert.NotEqual(before, await CheckpointAsync(db));

        var fourth = await new SyncRunner(store, TimeProvider.System).RunAsync(sync, RunKind.Incremental, default);
        Assert.Empty(source.RecomputedKeys);
        Assert.Equal(0L, fourth.Acknowledged);
        Assert.True(await store.HasSucceededAsync("s", default));
    }

    [Fact]
    public async Task Only_a_succeeded_run_that_read_its_source_counts_as_the_run_of_a_once_sync()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(Only_a_succeeded_run_that_read_its_source_counts_as_the_run_of_a_once_sync));
        var store = await PostgresStateStore.OpenAsync(db);
        await using var lease = (await store.TryAcquireAsync("import", default))!;

        Assert.False(await store.HasSucceededAsync("import", default));
        await lease.FinishRunAsync(await lease.StartRunAsync(RunKind.Incremental, default), new RunOutcome(RunStatus.Failed, "boom"), default);
        await lease.FinishRunAsync(await lease.StartRunAsync(RunKind.Replay, default), new RunOutcome(RunStatus.Succeeded), default);
        Assert.False(await store.HasSucceededAsync("import", default));

        await lease.FinishRunAsync(await lease.StartRunAsync(RunKind.Incremental, default), new RunOutcome(RunStatus.Succeeded), default);
        Assert.True(await store.HasSucceededAsync("import", default));
        Assert.False(await store.HasSucceededAsync("other", default));
    }

    private static SyncDefinition Sync(Sluice.Postgres.Sources.Models.ModelSource source, FakeDestination destination) =>
        new("s", source, new MappingSpec(
            [
                new FieldSpec("id", "id", null, Location),
                new FieldSpec("traits", null, [new FieldSpec("lifetime_orders", "lifetime_orders", null, Location), new FieldSpec("lifetime_value", "lifetime_value", null, Location)], Location),
            ], Location),
            destination, new DeliveryGate(new RateLimitOptions(), TimeProvider.System), new SyncRunOptions());

    private static async Task<string?> CheckpointAsync(NpgsqlDataSource db) => (string?)await ScalarAsync(db, "SELECT value FROM sluice.checkpoints");
}
