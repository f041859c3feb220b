using Npgsql;
using Sluice.Core.Engine;
using Sluice.Postgres.State;
using Sluice.Testing;

namespace Sluice.Postgres.Tests.State;

/// <summary>
/// Destination budgets in the state database. Every ask carries its own clock reading, so these tests set
/// the time themselves; separate data sources stand for separate processes.
/// </summary>
public sealed class RateBudgetTests
{
    private const string Destination = "segment";

    private static readonly DateTimeOffset T0 = TimerAwareFakeTimeProvider.DefaultStart;
    private static readonly RateLimitOptions TwentyPerSecond = new() { RequestsPerSecond = 20 };

    [Fact]
    public async Task A_fresh_budget_grants_a_full_bucket_then_reserves_ahead()
    {
        await using var db = await OpenAsync(nameof(A_fresh_budget_grants_a_full_bucket_then_reserves_ahead));
        var budgets = new PostgresRateBudgets(db);

        var grants = new List<RateBudgetGrant>();
        for (var i = 0; i < 3; i++)
        {
            grants.Add(await budgets.TakeAsync(Ask(T0, 5), default));
        }

        Assert.All(grants, g => Assert.True(g.Granted));
        Assert.Equal([T0, T0.AddSeconds(0.25), T0.AddSeconds(0.5)], grants.Select(g => g.ReadyAt));
        Assert.Equal(DateTimeOffset.MinValue, grants[0].PausedUntil);
    }

    [Fact]
    public async Task Processes_asking_at_once_get_one_queue_of_reservations()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync(nameof(Processes_asking_at_once_get_one_queue_of_reservations));
        var processes = Enumerable.Range(0, 8).Select(_ => NpgsqlDataSource.Create(connectionString)).ToList();
        try
        {
            await PostgresStateStore.OpenAsync(processes[0]);
            var grants = await Task.WhenAll(processes.Select(async d =>
            {
                var budgets = new PostgresRateBudgets(d);
                var mine = new List<DateTimeOffset>();
                for (var i = 0; i < 10; i++)
                {
                    mine.Add((await budgets.TakeAsync(Ask(T0, 5), default)).ReadyAt);
                }

                return mine;
            }));

            // 80 chunks of a quarter second each, every one a slot of its own: nobody spends twice on one refill.
            Assert.Equal(Enumerable.Range(0, 80).Select(i => T0.AddSeconds(i * 0.25)), grants.SelectMany(g => g).Order());
        }
        finally
        {
            foreach (var d in processes)
            {
                await d.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_backfill_is_held_to_its_share_while_live_traffic_is_not()
    {
        await using var db = await OpenAsync(nameof(A_backfill_is_held_to_its_share_while_live_traffic_is_not));
        var budgets = new PostgresRateBudgets(db);

        var firstBackfill = await budgets.TakeAsync(Ask(T0, 2, DeliveryLane.Backfill), default);
        var secondBackfill = await budgets.TakeAsync(Ask(T0, 2, DeliveryLane.Backfill), default);
        var live = await budgets.TakeAsync(Ask(T0, 5), default);

        // The backfill share of 20/s is 5/s (a bucket of 1.25): two permits cost 0.4 s of it.
        Assert.Equal(T0, firstBackfill.ReadyAt);
        Assert.Equal(T0.AddSeconds(0.4), secondBackfill.ReadyAt);
        // Live waits only for the whole budget: 4 of its 5 were taken by the backfill, refilled in 0.2 s.
        Assert.Equal(T0.AddSeconds(0.2), live.ReadyAt);
    }

    [Fact]
    public async Task A_pause_holds_every_process_and_a_later_pause_wins()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync(nameof(A_pause_holds_every_process_and_a_later_pause_wins));
        await using var first = NpgsqlDataSource.Create(connectionString);
        await using var second = NpgsqlDataSource.Create(connectionString);
        await PostgresStateStore.OpenAsync(first);
        var pausing = new PostgresRateBudgets(first);
        var other = new PostgresRateBudgets(second);

        await pausing.PauseAsync(Destination, T0.AddSeconds(3), T0, default);
        await pausing.PauseAsync(Destination, T0.AddSeconds(1), T0, default);
        var held = await other.TakeAsync(Ask(T0.AddSeconds(2), 5), default);
        var after = await other.TakeAsync(Ask(T0.AddSeconds(3), 5), default);

        Assert.False(held.Granted);
        Assert.Equal(T0.AddSeconds(3), held.ReadyAt);
        Assert.Equal(T0.AddSeconds(3), held.PausedUntil);
        Assert.True(after.Granted);
        Assert.Equal(T0.AddSeconds(3), after.ReadyAt);
    }

    [Fact]
    public async Task The_database_budget_answers_as_the_in_memory_one_does()
    {
        await using var db = await OpenAsync(nameof(The_database_budget_answers_as_the_in_memory_one_does));
        var stored = new PostgresRateBudgets(db);
        var memory = new InMemoryRateBudgetStore();
        var limits = new RateLimitOptions { RequestsPerSecond = 50, EventsPerSecond = 2000, BackfillShare = 0.3 };
        var random = new Random(20261121);
        var now = T0;

        for (var i = 0; i < 200; i++)
        {
            now = now.AddMilliseconds(random.Next(0, 120));
            if (random.Next(25) == 0)
            {
                var until = now.AddMilliseconds(random.Next(100, 1500));
                await stored.PauseAsync(Destination, until, now, default);
                await memory.PauseAsync(Destination, until, now, default);
            }

            var ask = new RateBudgetAsk(Destination, random.Next(3) == 0 ? DeliveryLane.Backfill : DeliveryLane.Live, now,
                random.Next(1, 15), random.Next(1, 800), limits);
            var expected = await memory.TakeAsync(ask, default);
            var actual = await stored.TakeAsync(ask, default);

            Assert.Equal(expected.Granted, actual.Granted);
            Assert.Equal(expected.PausedUntil, actual.PausedUntil);
            // The database keeps microseconds, the clock 100 ns ticks; both round the wait up, from doubles.
            Assert.InRange(actual.ReadyAt - expected.ReadyAt, -TimeSpan.FromMicroseconds(1), TimeSpan.FromMicroseconds(1));
        }
    }

    private static RateBudgetAsk Ask(DateTimeOffset now, long requests, DeliveryLane lane = DeliveryLane.Live) =>
        new(Destination, lane, now, requests, 0, TwentyPerSecond);

    private static async Task<NpgsqlDataSource> OpenAsync(string name)
    {
        var db = await TestPostgres.CreateDataSourceAsync(name);
        await PostgresStateStore.OpenAsync(db);
        return db;
    }
}
