using System.Text;
using Npgsql;
using Sluice.Core.Checkpoints;
using Sluice.Core.Engine;
using Sluice.Core.State;
using Sluice.Postgres.Destinations;
using Sluice.State;
using Sluice.Testing;
using static Sluice.Postgres.Tests.Destinations.IngestTestEvents;
using static Sluice.Postgres.Tests.TestSql;

namespace Sluice.Postgres.Tests.State;

public sealed class DeadLetterReplayTests
{
    [Fact]
    public async Task Letters_refused_for_a_missing_table_stay_until_it_exists_then_a_replay_delivers_them_once()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(Letters_refused_for_a_missing_table_stay_until_it_exists_then_a_replay_delivers_them_once));
        var store = await PostgresStateStore.OpenAsync(db);
        await using var destination = Destination(db);
        var ids = Enumerable.Range(0, 5).Select(_ => Guid.NewGuid()).ToArray();
        await DeadLetterAsync(store, "events_sync", ids.Select(id => Encode(destination, Envelope(id, """{"eventType":"e"}"""))).ToList(), "table public.events does not exist");
        await DeadLetterAsync(store, "other_sync", [Encode(destination, Envelope(Guid.NewGuid(), """{"eventType":"e"}"""))], "not ours");

        var stillMissing = await ReplayAsync(store, destination, ids: null);

        Assert.Equal(0, stillMissing.Delivered);
        Assert.Equal(5, stillMissing.Refused.Count);
        var (queued, total) = await store.DeadLetters.ListAsync("events_sync", 10, includeReplayed: false, withPayload: false, default);
        Assert.Equal(5, total);
        Assert.All(queued, l =>
        {
            Assert.Equal("refused", l.ReplayOutcome);
            Assert.Equal(1, l.ReplayAttempts);
            Assert.Null(l.Payload);
            Assert.Contains("CREATE TABLE", l.Reason, StringComparison.Ordinal);
        });

        await ExecuteAsync(db, EventsTableDdl.CreateTable("public", "events"));
        var fixedUp = await ReplayAsync(store, destination, ids: null);
        var again = await ReplayAsync(store, destination, ids: null);

        Assert.Equal((5, 0), (fixedUp.Delivered, fixedUp.Refused.Count));
        Assert.Equal((0, 0), (again.Delivered, again.Refused.Count));
        Assert.Equal(5L, await ScalarAsync(db, "SELECT count(*) FROM public.events"));
        Assert.Equal(0, (await store.DeadLetters.ListAsync("events_sync", 10, includeReplayed: false, withPayload: false, default)).Total);
        var history = (await store.DeadLetters.ListAsync("events_sync", 10, includeReplayed: true, withPayload: true, default)).Letters;
        Assert.All(history, l => Assert.Equal(("delivered", 2), (l.ReplayOutcome, l.ReplayAttempts)));
        Assert.All(history, l => Assert.Contains("\"format\":\"sluice.events_row\"", l.Payload, StringComparison.Ordinal));
        Assert.Equal(1, (await store.DeadLetters.ListAsync("other_sync", 10, includeReplayed: false, withPayload: false, default)).Total);
    }

    [Fact]
    public async Task Replaying_chosen_ids_sends_only_those_and_reports_unknown_and_delivered_ones()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(Replaying_chosen_ids_sends_only_those_and_reports_unknown_and_delivered_ones));
        await ExecuteAsync(db, EventsTableDdl.CreateTable("public", "events"));
        var store = await PostgresStateStore.OpenAsync(db);
        await using var destination = Destination(db);
        await DeadLetterAsync(store, "events_sync", Enumerable.Range(0, 3).Select(_ => Encode(destination, Envelope(Guid.NewGuid(), """{"eventType":"e"}"""))).ToList(), "was down");
        var letters = (await store.DeadLetters.ListAsync("events_sync", 10, false, false, default)).Letters;

        var first = await ReplayAsync(store, destination, [letters[0].Id]);
        var second = await ReplayAsync(store, destination, [letters[0].Id, letters[1].Id, 999_999]);

        Assert.Equal(1, first.Delivered);
        Assert.Equal(1, second.Delivered);
        Assert.Equal([letters[0].Id], second.AlreadyDelivered);
        Assert.Equal([999_999L], second.NotFound);
        Assert.Equal(2L, await ScalarAsync(db, "SELECT count(*) FROM public.events"));
        Assert.Equal([letters[2].Id], (await store.DeadLetters.ListAsync("events_sync", 10, false, false, default)).Letters.Select(l => l.Id));
    }

    [Fact]
    public async Task A_letter_refused_before_encoding_has_nothing_to_replay_and_stays()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_letter_refused_before_encoding_has_nothing_to_replay_and_stays));
        await ExecuteAsync(db, EventsTableDdl.CreateTable("public", "events"));
        var store = await PostgresStateStore.OpenAsync(db);
        await using var destination = Destination(db);
        await using (var lease = (await store.TryAcquireAsync("events_sync", default))!)
        {
            var run = await lease.StartRunAsync(RunKind.Incremental, default);
            await lease.CommitBatchAsync(new BatchCommit(run, 0, [], [new DeadLetter("k1", null, "the event is JSON array, not an object", null)], new Checkpoint("test", 1, "1"), 1), default);
        }

        var result = await ReplayAsync(store, destination, ids: null);

        Assert.Equal(0, result.Delivered);
        Assert.Equal(["k1"], result.Unreplayable.Select(l => l.RecordKey));
        Assert.Equal(1, (await store.DeadLetters.ListAsync("events_sync", 10, false, false, default)).Total);
    }

    private static EventsTableDestination Destination(NpgsqlDataSource db) =>
        new("events_sync", db, new PostgresConnectionOptions { Name = "wh", Database = "test" }, new EventsTableOptions { Schema = "public", Table = "events" });

    private static async Task<DeadLetterReplayResult> ReplayAsync(PostgresStateStore store, EventsTableDestination destination, IReadOnlyCollection<long>? ids)
    {
        await using var gate = new DeliveryGate(new RateLimitOptions(), TimeProvider.System);
        return await new DeadLetterReplay(store.DeadLetters, destination, gate, new RetryOptions { MaxAttempts = 1 }, TimeProvider.System).ReplayAsync("events_sync", ids, null, default);
    }

    /// <summary>As the engine files records a destination refused: the encoded payload, under the run's lease.</summary>
    private static async Task DeadLetterAsync(PostgresStateStore store, string sync, IReadOnlyList<Core.Connectors.EncodedRecord> records, string reason)
    {
        await using var lease = (await store.TryAcquireAsync(sync, default))!;
        var run = await lease.StartRunAsync(RunKind.Incremental, default);
        var letters = records.Select(r => new DeadLetter(r.Change.Key, r.MessageId, reason, Encoding.UTF8.GetString(r.Payload.Span))).ToList();
        await lease.CommitBatchAsync(new BatchCommit(run, 0, [], letters, new Checkpoint("test", 1, "1"), letters.Count), default);
        await lease.FinishRunAsync(run, new RunOutcome(RunStatus.Succeeded, null), default);
    }

    private static async Task<long> ScalarAsync(NpgsqlDataSource db, string sql)
    {
        await using var command = db.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
