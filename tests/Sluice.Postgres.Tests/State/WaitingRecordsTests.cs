using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Engine;
using Sluice.Core.Mapping;
using Sluice.Core.State;
using Sluice.State;
using Sluice.Testing;
using Sluice.Testing.Doubles;

namespace Sluice.Postgres.Tests.State;

/// <summary>
/// A record the destination answers "waiting" for (its parent is not there yet) is kept and offered again at the start
/// of each run, through the delivery service, until it is sent, superseded by a newer version, or waits past max_wait.
/// </summary>
public sealed class WaitingRecordsTests
{
    private const string Sync = "contacts";
    private static readonly ConfigLocation Location = new("sluice.yaml", 1, 1, "syncs.contacts");

    [Fact]
    public async Task A_waiting_record_is_offered_again_each_run_and_sent_exactly_once_when_its_parent_exists()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_waiting_record_is_offered_again_each_run_and_sent_exactly_once_when_its_parent_exists));
        var store = await PostgresStateStore.OpenAsync(db);
        var parentExists = false;
        var attempt = 0;
        var destination = new WaitingDestination { WaitsBecause = key => key == "child" && !parentExists ? $"account 7 not there yet (look {++attempt})" : null };
        await using var gate = new DeliveryGate(new RateLimitOptions(), TimeProvider.System);

        var first = await RunAsync(store, destination, gate, ["parent-less", "child"], TimeProvider.System);
        Assert.Equal("waiting", (await LedgerAsync(db, "child")).Status);
        var checkpoint = (await store.CheckpointStatusAsync(Sync, default))!.Checkpoint;
        await RunAsync(store, destination, gate, [], TimeProvider.System);

        var stillWaiting = Assert.Single((await store.DeadLetters.ListAsync(Sync, 10, includeReplayed: false, withPayload: false, default)).Letters);
        Assert.Equal(("child", "waiting", 1, "account 7 not there yet (look 2)"), (stillWaiting.RecordKey, stillWaiting.Kind, stillWaiting.ReplayAttempts, stillWaiting.Reason));
        Assert.Equal(0L, first.Rejected);
        var explained = await new RecordHistory(db).LoadLastDeadLetterAsync(Sync, "child", default);
        Assert.Equal(("waiting", 1, "account 7 not there yet (look 2)"), (explained!.Kind, explained.Attempts, explained.Reason));
        Assert.Equal(1L, Assert.Single(await store.StatusAsync(default)).Waiting);

        parentExists = true;
        await RunAsync(store, destination, gate, [], TimeProvider.System);
        await RunAsync(store, destination, gate, [], TimeProvider.System);

        Assert.Equal(["parent-less", "child"], destination.Acknowledged.Select(a => a.Key));
        Assert.Equal(["parent-less", "child", "child", "child"], destination.Offered);
        Assert.Empty((await store.DeadLetters.ListAsync(Sync, 10, includeReplayed: false, withPayload: false, default)).Letters);
        Assert.Equal(("sent", "dest-child"), await LedgerAsync(db, "child"));
        Assert.Equal(checkpoint, (await store.CheckpointStatusAsync(Sync, default))!.Checkpoint);
        Assert.Equal(0L, Assert.Single(await store.StatusAsync(default)).Waiting);
        var history = await new RecordHistory(db).LoadAsync(Sync, "child", default);
        Assert.Contains(history, e => e.What == "acknowledged" && e.MessageId == "m-child-v1");
    }

    [Fact]
    public async Task A_newer_version_read_from_the_source_supersedes_the_waiting_one_which_is_never_sent()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_newer_version_read_from_the_source_supersedes_the_waiting_one_which_is_never_sent));
        var store = await PostgresStateStore.OpenAsync(db);
        var parentExists = false;
        var destination = new WaitingDestination { WaitsBecause = _ => parentExists ? null : "account 7 not there yet" };
        await using var gate = new DeliveryGate(new RateLimitOptions(), TimeProvider.System);

        await RunAsync(store, destination, gate, ["child"], TimeProvider.System);
        destination.Version = 2;
        await RunAsync(store, destination, gate, ["child"], TimeProvider.System);
        parentExists = true;
        await RunAsync(store, destination, gate, [], TimeProvider.System);

        Assert.Equal([("child", "{\"key\":\"child\",\"v\":2}")], destination.Acknowledged);
        var letters = (await store.DeadLetters.ListAsync(Sync, 10, includeReplayed: true, withPayload: false, default)).Letters;
        Assert.Equal([("m-child-v1", "superseded"), ("m-child-v2", "delivered")], letters.Select(l => (l.MessageId, l.ReplayOutcome)));
    }

    [Fact]
    public async Task A_record_waiting_longer_than_max_wait_becomes_a_dead_letter_with_its_reason()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_record_waiting_longer_than_max_wait_becomes_a_dead_letter_with_its_reason));
        var store = await PostgresStateStore.OpenAsync(db);
        var destination = new WaitingDestination { WaitsBecause = _ => "account 7 not there yet" };
        var time = new TimerAwareFakeTimeProvider(DateTimeOffset.UtcNow);
        await using var gate = new DeliveryGate(new RateLimitOptions(), time);

        await RunAsync(store, destination, gate, ["child"], time);
        time.Advance(TimeSpan.FromDays(6));
        await RunAsync(store, destination, gate, [], time);
        time.Advance(TimeSpan.FromDays(2));
        await RunAsync(store, destination, gate, [], time);

        Assert.Equal(["child", "child"], destination.Offered);
        var letter = Assert.Single((await store.DeadLetters.ListAsync(Sync, 10, includeReplayed: false, withPayload: true, default)).Letters);
        Assert.Equal("rejected", letter.Kind);
        Assert.Contains("max_wait (7d)", letter.Reason, StringComparison.Ordinal);
        Assert.EndsWith("account 7 not there yet", letter.Reason, StringComparison.Ordinal);
        Assert.Equal("{\"key\":\"child\",\"v\":1}", letter.Payload);
        Assert.Equal("dead_lettered", (await LedgerAsync(db, "child")).Status);
    }

    private static Task<RunResult> RunAsync(PostgresStateStore store, WaitingDestination destination, DeliveryGate gate, IReadOnlyList<string> keys, TimeProvider time) =>
        new SyncRunner(store, time).RunAsync(new SyncDefinition(Sync, new KeyListSource(keys), MappingSpec.None(Location), destination, gate, new SyncRunOptions()), RunKind.Incremental, default);

    private static async Task<(string? Status, string? DestinationId)> LedgerAsync(NpgsqlDataSource db, string key)
    {
        var state = await new RecordHistory(db).LoadStateAsync(Sync, key, default);
        return (state?.Status, state?.DestinationId);
    }
}
