using Sluice.Testing;

namespace Sluice.Core.Tests.Engine;

/// <summary>The clock the engine tests stand on (the package's FakeTimeProvider and the timer tracking Sluice.Testing adds): if it fires early or late, they prove nothing.</summary>
public sealed class TimerAwareFakeTimeProviderTests
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(5);

    private readonly TimerAwareFakeTimeProvider _time = new();

    [Fact]
    public void The_clock_moves_only_when_told()
    {
        var start = _time.GetUtcNow();

        _time.Advance(TimeSpan.FromMinutes(3));

        Assert.Equal(TimerAwareFakeTimeProvider.DefaultStart, start);
        Assert.Equal(start + TimeSpan.FromMinutes(3), _time.GetUtcNow());
        Assert.Equal(TimeSpan.FromMinutes(3), _time.GetElapsedTime(start.UtcTicks, _time.GetTimestamp()));
    }

    [Fact]
    public void The_clock_never_goes_back()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _time.SetUtcNow(_time.GetUtcNow() - TimeSpan.FromTicks(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => _time.Advance(TimeSpan.FromTicks(-1)));
    }

    [Fact]
    public async Task A_delay_ends_when_the_clock_reaches_it_and_not_before()
    {
        var delay = Task.Delay(TimeSpan.FromSeconds(10), _time);
        Assert.Equal(1, _time.ActiveTimers);

        _time.Advance(TimeSpan.FromSeconds(10) - TimeSpan.FromTicks(1));
        Assert.False(delay.IsCompleted);

        _time.Advance(TimeSpan.FromTicks(1));
        await delay.WaitAsync(Settle);
        Assert.Equal(0, _time.ActiveTimers);
    }

    [Fact]
    public void Timers_fire_in_due_order_each_seeing_its_own_due_time()
    {
        var start = _time.GetUtcNow();
        var fired = new List<(string Name, DateTimeOffset At)>();
        using var late = _time.CreateTimer(_ => fired.Add(("late", _time.GetUtcNow())), null, TimeSpan.FromSeconds(3), Timeout.InfiniteTimeSpan);
        using var early = _time.CreateTimer(_ => fired.Add(("early", _time.GetUtcNow())), null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);

        _time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal([("early", start.AddSeconds(1)), ("late", start.AddSeconds(3))], fired);
        Assert.Equal(start.AddSeconds(5), _time.GetUtcNow());
    }

    [Fact]
    public void A_periodic_timer_fires_once_per_period_passed()
    {
        var count = 0;
        using var timer = _time.CreateTimer(_ => count++, null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));

        _time.Advance(TimeSpan.FromSeconds(6));

        Assert.Equal(3, count); // at 1, 3 and 5 s
        Assert.Equal(1, _time.ActiveTimers);
    }

    [Fact]
    public void Change_reschedules_from_now_and_infinity_stops_a_timer()
    {
        var count = 0;
        using var timer = _time.CreateTimer(_ => count++, null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);

        Assert.True(timer.Change(TimeSpan.FromSeconds(5), Timeout.InfiniteTimeSpan));
        _time.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(0, count);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, count);

        timer.Change(TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(1, count);
    }

    [Fact]
    public void A_disposed_timer_never_fires_and_cannot_be_changed()
    {
        var count = 0;
        var timer = _time.CreateTimer(_ => count++, null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));

        timer.Dispose();
        _time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(0, count);
        Assert.False(timer.Change(TimeSpan.Zero, Timeout.InfiniteTimeSpan));
        Assert.Equal(0, _time.ActiveTimers);
    }

    [Fact]
    public async Task A_timer_due_now_fires_without_moving_the_clock()
    {
        var start = _time.GetUtcNow();
        var fired = new TaskCompletionSource<DateTimeOffset>(TaskCreationOptions.RunContinuationsAsynchronously);

        using var timer = _time.CreateTimer(_ => fired.TrySetResult(_time.GetUtcNow()), null, TimeSpan.Zero, Timeout.InfiniteTimeSpan);

        Assert.Equal(start, await fired.Task.WaitAsync(Settle));
    }

    [Fact]
    public void A_timer_created_by_a_firing_timer_fires_in_the_same_advance_when_due()
    {
        var fired = new List<DateTimeOffset>();
        ITimer? second = null;
        using var first = _time.CreateTimer(
            _ => second = _time.CreateTimer(_ => fired.Add(_time.GetUtcNow()), null, TimeSpan.FromSeconds(2), Timeout.InfiniteTimeSpan),
            null,
            TimeSpan.FromSeconds(1),
            Timeout.InfiniteTimeSpan);

        _time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal([TimerAwareFakeTimeProvider.DefaultStart.AddSeconds(3)], fired);
        second?.Dispose();
    }

    [Fact]
    public async Task WaitForTimers_returns_once_the_code_under_test_waits_on_the_clock()
    {
        var waiting = _time.WaitForTimersAsync(2);
        Assert.False(waiting.IsCompleted);

        var first = Task.Delay(TimeSpan.FromSeconds(1), _time);
        var second = Task.Delay(TimeSpan.FromSeconds(2), _time);

        await waiting.WaitAsync(Settle);
        Assert.Equal(TimerAwareFakeTimeProvider.DefaultStart.AddSeconds(1), _time.NextDue);
        Assert.Equal(TimeSpan.FromSeconds(1), _time.AdvanceToNextTimer());
        await first.WaitAsync(Settle);
        Assert.False(second.IsCompleted);
    }

    [Fact]
    public async Task WaitForTimers_says_what_it_saw_when_nothing_waits_on_the_clock()
    {
        var error = await Assert.ThrowsAsync<TimeoutException>(() => _time.WaitForTimersAsync(1, TimeSpan.FromMilliseconds(50)));

        Assert.Contains("saw 0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdvanceUntilCompleted_jumps_over_every_delay_of_a_task()
    {
        var start = _time.GetUtcNow();
        async Task Work()
        {
            await Task.Delay(TimeSpan.FromMinutes(1), _time);
            await Task.Delay(TimeSpan.FromHours(1), _time);
        }

        await _time.AdvanceUntilCompletedAsync(Task.Run(Work));

        Assert.Equal(start + TimeSpan.FromMinutes(61), _time.GetUtcNow());
    }

    [Fact]
    public async Task A_timer_armed_on_another_thread_fires_at_its_due_time_when_the_clock_moves_as_soon_as_it_is_seen()
    {
        // The window was a few instructions wide (counted as armed, not yet armed in the package): many rounds find it.
        for (var round = 0; round < 2000; round++)
        {
            var armedAt = _time.GetUtcNow();
            var delay = Task.Run(() => Task.Delay(TimeSpan.FromMinutes(1), _time));
            var moved = Task.Run(() => _time.AdvanceToNextTimerAsync());
            Assert.True(await Task.WhenAny(moved, Task.Delay(Settle)) == moved, $"round {round}: the clock did not reach the timer");
            Assert.Equal(TimeSpan.FromMinutes(1), await moved);
            await delay.WaitAsync(Settle);
            Assert.Equal(armedAt + TimeSpan.FromMinutes(1), _time.GetUtcNow());
        }
    }
}
