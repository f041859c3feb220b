using Sluice.Core.Engine;
using Sluice.Testing;

namespace Sluice.Core.Tests.Engine;

/// <summary>
/// The gate spending a destination's budget: chunks taken from a shared store, lanes, shared pauses. Separate
/// gates on one <see cref="InMemoryRateBudgetStore"/> stand for separate processes on one state database.
/// </summary>
public sealed class DeliveryGateBudgetTests
{
    private const string Destination = "segment";

    private static readonly RateLimitOptions TwentyPerSecond = new() { RequestsPerSecond = 20 };

    private readonly TimerAwareFakeTimeProvider _time = new();
    private readonly InMemoryRateBudgetStore _store = new();
    private readonly DateTimeOffset _start;

    public DeliveryGateBudgetTests()
    {
        _start = _time.GetUtcNow();
    }

    [Fact]
    public async Task A_gate_takes_a_quarter_second_of_its_budget_at_a_time()
    {
        await using var gate = Gate(TwentyPerSecond);

        var sent = await DriveAsync(Send(gate, 45));

        // 20/s in chunks of 5: a full bucket at once, then a chunk every 0.25 s.
        Assert.All(sent.Take(5), t => Assert.Equal(0, Seconds(t)));
        Assert.Equal(0.25, Seconds(sent[5]));
        Assert.Equal(2.0, Seconds(sent[^1]));
    }

    [Fact]
    public async Task Two_gates_sharing_a_store_together_stay_within_the_budget()
    {
        await using var first = Gate(TwentyPerSecond);
        await using var second = Gate(TwentyPerSecond);

        var both = await DriveAsync(Task.WhenAll(Send(first, 40), Send(second, 40)));

        var all = both.SelectMany(s => s).Order().ToList();
        Assert.InRange(MaxInOneSecond(all), 1, 20 + 5);
        Assert.True(Seconds(all[^1]) >= (80 - 5) / 20.0, $"80 requests at 20/s took only {Seconds(all[^1])} s");
        // Neither process waits for the other to finish: both are sending within the first second.
        Assert.True(Seconds(both[0][0]) < 1 && Seconds(both[1][0]) < 1);
    }

    [Fact]
    public async Task Gates_on_different_destinations_have_budgets_of_their_own()
    {
        await using var segment = Gate(TwentyPerSecond);
        await using var other = new DeliveryGate(TwentyPerSecond, _time, _store, "other");

        var both = await DriveAsync(Task.WhenAll(Send(segment, 45), Send(other, 45)));

        Assert.Equal(2.0, Seconds(both[0][^1]));
        Assert.Equal(2.0, Seconds(both[1][^1]));
    }

    [Fact]
    public async Task A_backfill_alone_gets_only_its_share()
    {
        await using var gate = Gate(TwentyPerSecond);

        var sent = await DriveAsync(Send(gate, 20, lane: DeliveryLane.Backfill));

        // A quarter of 20/s is 5/s, taken two at a time: a chunk every 0.4 s.
        Assert.Equal(0.4, Seconds(sent[2]), 9);
        Assert.Equal(3.6, Seconds(sent[^1]), 9);
        Assert.InRange(MaxInOneSecond(sent), 1, 5 + 2);
    }

    [Fact]
    public async Task Live_traffic_gets_the_rest_of_the_budget_while_a_backfill_is_busy()
    {
        await using var live = Gate(TwentyPerSecond);
        await using var backfill = Gate(TwentyPerSecond);
        var end = _start + TimeSpan.FromSeconds(4);

        var lanes = await DriveAsync(Task.WhenAll(SendUntil(live, end, DeliveryLane.Live), SendUntil(backfill, end, DeliveryLane.Backfill)));

        var (liveSent, backfillSent) = (lanes[0].Count, lanes[1].Count);
        Assert.InRange(backfillSent, 1, (5 * 4) + 2);
        Assert.InRange(liveSent, (15 * 4) - 5, 20 * 4);
        Assert.InRange(liveSent + backfillSent, 1, (20 * 4) + 5);
    }

    [Fact]
    public async Task Both_lanes_of_one_gate_share_its_budget()
    {
        await using var gate = Gate(TwentyPerSecond);
        var end = _start + TimeSpan.FromSeconds(4);

        var lanes = await DriveAsync(Task.WhenAll(SendUntil(gate, end, DeliveryLane.Live), SendUntil(gate, end, DeliveryLane.Backfill)));

        Assert.InRange(lanes[1].Count, 1, (5 * 4) + 2);
        Assert.InRange(lanes[0].Count + lanes[1].Count, (20 * 4) - 5, (20 * 4) + 5);
    }

    [Fact]
    public async Task A_batch_larger_than_the_events_budget_waits_for_its_whole_cost()
    {
        await using var gate = Gate(new RateLimitOptions { EventsPerSecond = 100 });

        var sent = await DriveAsync(Send(gate, 3, events: 250));

        // A full bucket (25 events) lets the first through and leaves a debt of 225: 2.5 s to pay back.
        Assert.Equal([0, 2.5, 5.0], sent.Select(Seconds));
    }

    [Fact]
    public async Task A_pause_one_gate_hears_holds_another_gate_sharing_its_store()
    {
        await using var first = Gate(TwentyPerSecond);
        await using var second = Gate(TwentyPerSecond);
        var until = _start + TimeSpan.FromSeconds(3);

        first.PauseUntil(until);
        var sent = await DriveAsync(Send(second, 1));

        Assert.Equal(until, sent[0]);
        Assert.Equal(until, second.PausedUntil);
    }

    [Fact]
    public async Task A_pause_reaches_another_gate_when_its_chunk_runs_out()
    {
        await using var first = Gate(TwentyPerSecond);
        await using var second = Gate(TwentyPerSecond);
        await DriveAsync(Send(second, 1));

        first.PauseUntil(_start + TimeSpan.FromSeconds(3));
        var sent = await DriveAsync(Send(second, 5));

        // Four permits were already in hand; the fifth needs a new chunk, and the store says "paused".
        Assert.All(sent.Take(4), t => Assert.Equal(0, Seconds(t)));
        Assert.Equal(3.0, Seconds(sent[4]));
    }

    [Fact]
    public async Task A_busy_gate_asks_the_store_once_per_chunk()
    {
        var counting = new CountingStore(_store);
        await using var gate = new DeliveryGate(TwentyPerSecond, _time, counting, Destination);

        await DriveAsync(Send(gate, 80));

        Assert.Equal(80 / 5, counting.Takes);
    }

    [Fact]
    public async Task An_unlimited_gate_never_asks_the_store()
    {
        var counting = new CountingStore(_store);
        await using var gate = new DeliveryGate(new RateLimitOptions(), _time, counting, Destination);

        await DriveAsync(Send(gate, 100));
        gate.PauseUntil(_start + TimeSpan.FromSeconds(1));

        Assert.Equal(0, counting.Takes + counting.Pauses);
    }

    [Fact]
    public void A_backfill_share_outside_zero_to_one_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DeliveryGate(new RateLimitOptions { RequestsPerSecond = 1, BackfillShare = 0 }, _time));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DeliveryGate(new RateLimitOptions { RequestsPerSecond = 1, BackfillShare = 1.5 }, _time));
    }

    private DeliveryGate Gate(RateLimitOptions options) => new(options, _time, _store, Destination);

    private async Task<T> DriveAsync<T>(Task<T> work)
    {
        await _time.AdvanceUntilCompletedAsync(work);
        return await work;
    }

    private async Task<List<DateTimeOffset>> Send(DeliveryGate gate, int requests, int events = 1, DeliveryLane lane = DeliveryLane.Live)
    {
        var sent = new List<DateTimeOffset>();
        for (var i = 0; i < requests; i++)
        {
            await gate.WaitAsync(events, lane, CancellationToken.None);
            sent.Add(_time.GetUtcNow());
        }

        return sent;
    }

    private async Task<List<DateTimeOffset>> SendUntil(DeliveryGate gate, DateTimeOffset end, DeliveryLane lane)
    {
        var sent = new List<DateTimeOffset>();
        while (true)
        {
            await gate.WaitAsync(1, lane, CancellationToken.None);
            var now = _time.GetUtcNow();
            if (now >= end)
            {
                return sent;
            }

            sent.Add(now);
        }
    }

    private double Seconds(DateTimeOffset t) => (t - _start).TotalSeconds;

    private static int MaxInOneSecond(List<DateTimeOffset> sorted) =>
        sorted.Select((t, i) => sorted.Skip(i).TakeWhile(u => u < t + TimeSpan.FromSeconds(1)).Count()).Max();

    private sealed class CountingStore(IRateBudgetStore inner) : IRateBudgetStore
    {
        public int Takes { get; private set; }

        public int Pauses { get; private set; }

        public ValueTask<RateBudgetGrant> TakeAsync(RateBudgetAsk ask, CancellationToken ct)
        {
            Takes++;
            return inner.TakeAsync(ask, ct);
        }

        public ValueTask PauseAsync(string destination, DateTimeOffset until, DateTimeOffset now, CancellationToken ct)
        {
            Pauses++;
            return inner.PauseAsync(destination, until, now, ct);
        }
    }
}
