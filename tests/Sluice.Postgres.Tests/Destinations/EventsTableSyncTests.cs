using System.Text;
using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Engine;
using Sluice.Core.Mapping;
using Sluice.Core.State;
using Sluice.Postgres.Destinations;
using Sluice.State;
using Sluice.State.Ingest;
using Sluice.Testing;
using static Sluice.Postgres.Tests.TestSql;

namespace Sluice.Postgres.Tests.Destinations;

/// <summary>Ingested events through the real engine into an events table: the ingest queue, the sync runner, the state store.</summary>
public sealed class EventsTableSyncTests
{
    private const string Schema = "sluice";
    private const string SyncName = "web_to_events";

    [Fact]
    public async Task Ingested_events_land_once_each_and_a_missing_table_sends_them_to_the_queue_for_replay()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(Ingested_events_land_once_each_and_a_missing_table_sends_them_to_the_queue_for_replay));
        var store = await PostgresStateStore.OpenAsync(db, Schema);
        await using (var queue = new IngestQueue(db, Schema))
        {
            await queue.EnqueueAsync([.. Enumerable.Range(1, 10).Select(Envelope), .. Enumerable.Range(11, 10).Select(Track)], default);
        }

        // No table yet: every event is refused with the fix, and the checkpoint moves on past them.
        await using (var destination = Destination(db))
        {
            await RunUntilAsync(db, store, destination, () => DeadLettersAsync(db), 20);
        }

        await ExecuteAsync(db, EventsTableDdl.CreateTable("public", "events"));
        await using (var destination = Destination(db))
        {
            await using var gate = new DeliveryGate(new RateLimitOptions(), TimeProvider.System);
            var replayed = await new DeadLetterReplay(store.DeadLetters, destination, gate, new RetryOptions(), TimeProvider.System).ReplayAsync(SyncName, null, null, default);
            Assert.Equal(20, replayed.Delivered);
        }

        await using (var queue = new IngestQueue(db, Schema))
        {
            await queue.EnqueueAsync([.. Enumerable.Range(21, 5).Select(Envelope), Envelope(1)], default);
        }

        await using (var destination = Destination(db))
        {
            await RunUntilAsync(db, store, destination, () => CountAsync(db, "SELECT count(*) FROM public.events"), 25);
        }

        Assert.Equal(25L, await CountAsync(db, "SELECT count(DISTINCT event_id) FROM public.events"));
        Assert.Equal(15L, await CountAsync(db, "SELECT count(*) FROM public.events WHERE event_type = 'invoice.paid' AND source = 'billing'"));
        Assert.Equal(10L, await CountAsync(db, "SELECT count(*) FROM public.events WHERE event_type = 'Order Completed' AND source = 'web' AND payload ? 'total'"));
        Assert.Equal(20L, await DeadLettersAsync(db));
        Assert.Equal(0L, await CountAsync(db, $"SELECT count(*) FROM {Schema}.dead_letters WHERE replayed_at IS NULL"));
    }

    private static IngestEvent Envelope(int n) => new("web", Id(n), IngestEventKind.Envelope, "invoice.paid", "invoice.paid", DateTimeOffset.UtcNow,
        Encoding.UTF8.GetBytes($$$"""{"eventType":"invoice.paid","occurredAt":"2024-05-01T10:00:00Z","source":"billing","customerExternalId":"cus_{{{n}}}","payload":{"n":{{{n}}}}}"""));

    private static IngestEvent Track(int n) => new("web", Id(n), IngestEventKind.Segment, "track", "Order Completed", DateTimeOffset.UtcNow,
        Encoding.UTF8.GetBytes($$$"""{"type":"track","event":"Order Completed","userId":"u{{{n}}}","messageId":"{{{Id(n)}}}","properties":{"total":{{{n}}}}}"""));

    private static Guid Id(int n) => new($"00000000-0000-0000-0000-{n:D12}");

    private static EventsTableDestination Destination(NpgsqlDataSource db) =>
        new(SyncName, db, new PostgresConnectionOptions { Name = "wh", Database = "test" }, new EventsTableOptions { Schema = "public", Table = "events" });

    /// <summary>Runs the streaming sync until <paramref name="measure"/> reaches <paramref name="expected"/>, then stops it.</summary>
    private static async Task RunUntilAsync(NpgsqlDataSource db, PostgresStateStore store, EventsTableDestination destination, Func<Task<long>> measure, long expected)
    {
        await using var source = new IngestQueueSource(db, Schema, "web", new IngestQueueSourceOptions { PollInterval = TimeSpan.FromMilliseconds(20) });
        await using var gate = new DeliveryGate(new RateLimitOptions(), TimeProvider.System);
        var sync = new SyncDefinition(SyncName, source, MappingSpec.None(new ConfigLocation("sluice.yaml", 1, 1, "syncs." + SyncName)), destination, gate,
            new SyncRunOptions { FlushWindow = TimeSpan.FromMilliseconds(50) });
        using var stop = new CancellationTokenSource();
        var run = new SyncRunner(store, TimeProvider.System).RunAsync(sync, RunKind.Incremental, stop.Token);
        for (var attempt = 0; await measure() < expected; attempt++)
        {
            Assert.False(run.IsCompleted && !run.IsCanceled, $"the sync stopped: {(run.IsFaulted ? run.Exception!.InnerException!.Message : "done")}");
            Assert.True(attempt < 1_000, $"never reached {expected}");
            await Task.Delay(20);
        }

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Equal(expected, await measure());
    }

    private static Task<long> DeadLettersAsync(NpgsqlDataSource db) => CountAsync(db, $"SELECT count(*) FROM {Schema}.dead_letters");

    private static async Task<long> CountAsync(NpgsqlDataSource db, string sql)
    {
        await using var command = db.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
