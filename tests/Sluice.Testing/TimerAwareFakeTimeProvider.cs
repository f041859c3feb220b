using Microsoft.Extensions.Time.Testing;

namespace Sluice.Testing;

/// <summary>
/// Microsoft.Extensions.TimeProvider.Testing's <see cref="FakeTimeProvider"/> — a clock that moves only when a test
/// moves it — that also knows which of its timers are armed, moves from one timer's due time to the next, and starts
/// at <see cref="DefaultStart"/>.
/// </summary>
/// <remarks>
/// Why not the package's class alone: the code under test arms its delays on other threads (a retry loop, a
/// scheduler, a queue's background pass), and a test must know it has done so before it moves the clock, or the
/// delay starts after the move and the test hangs or proves nothing; the package keeps its armed timers to itself
/// (internal), so this subclass wraps every timer it creates to count them (<see cref="WaitForTimersAsync"/>,
/// <see cref="ActiveTimers"/>, <see cref="NextDue"/>, <see cref="AdvanceToNextTimer"/>,
/// <see cref="AdvanceUntilCompletedAsync"/>). And the package's <c>Advance</c> (10.0) fires every timer due on the
/// way with the clock already at the end of the step, so a retry that reads the clock when its delay ends sees the
/// wrong time, and a delay armed by a firing timer within the same step does not fire; <see cref="Advance"/> and
/// <see cref="SetUtcNow"/> here step the package's clock from one due time to the next instead. Waiting for timers
/// is synchronisation with a real-time timeout, not a measurement of time. Tests that neither wait for the code
/// under test to arm a timer nor chain delays use the package's <see cref="FakeTimeProvider"/> directly.
/// </remarks>
public sealed class TimerAwareFakeTimeProvider : FakeTimeProvider
{
    /// <summary>2025-01-01T00:00:00Z: a whole second, so that expected timestamps are easy to write.</summary>
    public static readonly DateTimeOffset DefaultStart = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    // Generous: on a loaded machine the code under test may take seconds to get to its wait; only a failing test waits this long.
    private static readonly TimeSpan DefaultWaitTimeout = TimeSpan.FromSeconds(30);

    private readonly Lock _lock = new();

    // Held while the clock moves and while a timer is armed, so that neither happens in the middle of the other: a
    // test that moves the clock as soon as it sees a timer counted (on another thread) would otherwise move it between
    // the count and the package's own arming, which then counts the wait from the moved clock — the timer fires late,
    // or never, while this class still reports it due. Re-entrant: a timer that fires (inside a move) may arm another.
    private readonly Lock _moving = new();
    private readonly Dictionary<TrackedTimer, DateTimeOffset> _armed = [];
    private readonly List<(int Count, TaskCompletionSource Signal)> _waiters = [];

    public TimerAwareFakeTimeProvider()
        : this(DefaultStart)
    {
    }

    public TimerAwareFakeTimeProvider(DateTimeOffset start)
        : base(start)
    {
    }

    /// <summary>Timers due to fire, one-shot or periodic (a pending <c>Task.Delay</c> is one).</summary>
    public int ActiveTimers
    {
        get
        {
            lock (_lock)
            {
                return _armed.Count;
            }
        }
    }

    /// <summary>When the next timer fires; null when none is armed.</summary>
    public DateTimeOffset? NextDue
    {
        get
        {
            lock (_lock)
            {
                return _armed.Count == 0 ? null : _armed.Values.Min();
            }
        }
    }

    /// <summary>Moves the clock forward by <paramref name="delta"/>, firing every timer that falls due on the way at its own due time.</summary>
    public new void Advance(TimeSpan delta)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delta, TimeSpan.Zero);
        SetUtcNow(GetUtcNow() + delta);
    }

    /// <summary>
    /// Moves the clock forward to <paramref name="value"/>, one due time at a time: each timer fires with the clock
    /// at its due time, and a timer armed by one that fires is fired too when it falls due before <paramref name="value"/>.
    /// </summary>
    public new void SetUtcNow(DateTimeOffset value)
    {
        if (value < GetUtcNow())
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, $"the clock only moves forward; it reads {GetUtcNow():O}");
        }

        lock (_moving)
        {
            while (NextDue is { } due && due <= value)
            {
                base.SetUtcNow(due > GetUtcNow() ? due : GetUtcNow());
            }

            base.SetUtcNow(value);
        }
    }

    /// <summary>Moves the clock to the next timer's due time and fires it; returns how far the clock moved, or null when no timer was armed.</summary>
    public TimeSpan? AdvanceToNextTimer()
    {
        if (NextDue is not { } due)
        {
            return null;
        }

        var step = due - GetUtcNow();
        step = step < TimeSpan.Zero ? TimeSpan.Zero : step;
        Advance(step);
        return step;
    }

    /// <summary>
    /// Completes once at least <paramref name="count"/> timers are armed at the same time, i.e. once the code under
    /// test is waiting on the clock. Fails after <paramref name="timeout"/> of real time (default 30 s) with a message
    /// saying how many were seen.
    /// </summary>
    public async Task WaitForTimersAsync(int count = 1, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        TaskCompletionSource signal;
        lock (_lock)
        {
            if (_armed.Count >= count)
            {
                return;
            }

            signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, signal));
        }

        try
        {
            await signal.Task.WaitAsync(timeout ?? DefaultWaitTimeout, ct);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException(
                $"expected {count} armed timer(s) within {(timeout ?? DefaultWaitTimeout).TotalSeconds:0.#} s of real time, saw {ActiveTimers}; " +
                "is the code under test waiting on this clock?");
        }
        finally
        {
            lock (_lock)
            {
                _waiters.RemoveAll(w => w.Signal == signal);
            }
        }
    }

    /// <summary>
    /// Once a timer is armed (see <see cref="WaitForTimersAsync"/>), how long from now the earliest armed one waits:
    /// what the code under test is waiting for, without moving the clock.
    /// </summary>
    public async Task<TimeSpan> NextTimerAsync(TimeSpan? timeout = null)
    {
        await WaitForTimersAsync(1, timeout);
        return NextDue is { } due && due > GetUtcNow() ? due - GetUtcNow() : TimeSpan.Zero;
    }

    /// <summary>Waits until a timer is armed, then moves the clock to the earliest one's due time and fires it; returns how far the clock moved.</summary>
    public async Task<TimeSpan> AdvanceToNextTimerAsync(TimeSpan? timeout = null)
    {
        await WaitForTimersAsync(1, timeout);
        return AdvanceToNextTimer() ?? TimeSpan.Zero;
    }

    /// <summary>
    /// Jumps the clock from one armed timer to the next until <paramref name="task"/> ends, then awaits it (so its
    /// exception, if any, is thrown). Fails when the task neither ends nor arms a timer within <paramref name="timeout"/>
    /// of real time (default 30 s): it is waiting on something other than this clock.
    /// </summary>
    public async Task AdvanceUntilCompletedAsync(Task task, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        while (!task.IsCompleted)
        {
            using var stop = new CancellationTokenSource();
            var timers = WaitForTimersAsync(1, timeout, stop.Token);
            if (await Task.WhenAny(task, timers) == task)
            {
                await stop.CancelAsync();
                await timers.ContinueWith(_ => { }, TaskScheduler.Default);
                break;
            }

            await timers;
            AdvanceToNextTimer();
        }

        await task;
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new TrackedTimer(this, callback, state);
        timer.Inner = base.CreateTimer(static tracked => ((TrackedTimer)tracked!).Fire(), timer, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        timer.Change(dueTime, period);
        return timer;
    }

    private void Armed(TrackedTimer timer, TimeSpan dueTime, TimeSpan period)
    {
        lock (_lock)
        {
            if (dueTime == Timeout.InfiniteTimeSpan)
            {
                _armed.Remove(timer);
                return;
            }

            _armed[timer] = GetUtcNow() + dueTime;
            timer.Period = period == Timeout.InfiniteTimeSpan || period == TimeSpan.Zero ? null : period;
            foreach (var waiter in _waiters.Where(w => _armed.Count >= w.Count))
            {
                waiter.Signal.TrySetResult();
            }
        }
    }

    /// <summary>A timer has fired: a one-shot one is no longer armed, a periodic one is due a period later.</summary>
    private void Fired(TrackedTimer timer)
    {
        lock (_lock)
        {
            if (!_armed.TryGetValue(timer, out var due))
            {
                return;
            }

            if (timer.Period is { } period)
            {
                _armed[timer] = due + period;
            }
            else
            {
                _armed.Remove(timer);
            }
        }
    }

    private void Disarmed(TrackedTimer timer)
    {
        lock (_lock)
        {
            _armed.Remove(timer);
        }
    }

    /// <summary>The package's timer, with its arming, firing and disposal reported to the owner.</summary>
    private sealed class TrackedTimer(TimerAwareFakeTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        private bool _disposed;

        public ITimer Inner { get; set; } = null!;

        public TimeSpan? Period { get; set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            if (_disposed)
            {
                return false;
            }

            // Counted as armed before the package's timer is (a timer due now fires inside Change), and both before
            // the clock moves again.
            lock (owner._moving)
            {
                owner.Armed(this, dueTime, period);
                return Inner.Change(dueTime, period);
            }
        }

        public void Fire()
        {
            owner.Fired(this);
            callback(state);
        }

        public void Dispose()
        {
            _disposed = true;
            owner.Disarmed(this);
            Inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
