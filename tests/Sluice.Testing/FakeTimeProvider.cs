namespace Sluice.Testing;

/// <summary>
/// A clock that moves only when a test moves it. Timers it creates — and so <c>Task.Delay(d, time, ct)</c>,
/// Polly's retry delays and anything else built on <see cref="TimeProvider.CreateTimer"/> — fire when
/// <see cref="Advance"/> or <see cref="SetUtcNow"/> carries the clock past their due time: in due order,
/// on the thread that moved the clock, with <see cref="GetUtcNow"/> reading each timer's due time while it fires.
/// </summary>
/// <remarks>
/// Code under test schedules its delays on other threads; <see cref="WaitForTimersAsync"/> lets a test wait
/// until it has done so before moving the clock. That wait is synchronisation with a real-time timeout,
/// not a measurement of time.
/// </remarks>
public sealed class FakeTimeProvider : TimeProvider
{
    /// <summary>2025-01-01T00:00:00Z: a whole second, so that expected timestamps are easy to write.</summary>
    public static readonly DateTimeOffset DefaultStart = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly TimeSpan DefaultWaitTimeout = TimeSpan.FromSeconds(5);

    private readonly Lock _lock = new();
    private readonly List<FakeTimer> _scheduled = [];
    private readonly List<(int Count, TaskCompletionSource Signal)> _waiters = [];
    private DateTimeOffset _now;
    private long _order;
    private long _timersScheduled;

    public FakeTimeProvider()
        : this(DefaultStart)
    {
    }

    public FakeTimeProvider(DateTimeOffset start)
    {
        _now = start.ToUniversalTime();
    }

    /// <summary>Timers due to fire, one-shot or periodic (a pending <c>Task.Delay</c> is one).</summary>
    public int ActiveTimers
    {
        get
        {
            lock (_lock)
            {
                return _scheduled.Count;
            }
        }
    }

    /// <summary>How many times a timer was armed (created with, or changed to, a finite due time) since the start.</summary>
    public long TimersScheduled => Interlocked.Read(ref _timersScheduled);

    /// <summary>When the next timer fires; null when none is scheduled.</summary>
    public DateTimeOffset? NextDue
    {
        get
        {
            lock (_lock)
            {
                return _scheduled.Count == 0 ? null : _scheduled.Min(t => t.Due);
            }
        }
    }

    // Stopwatch-style timestamps follow the fake clock too, so elapsed times measured through this provider are exact.
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    public override DateTimeOffset GetUtcNow()
    {
        lock (_lock)
        {
            return _now;
        }
    }

    public override long GetTimestamp() => GetUtcNow().UtcTicks;

    /// <summary>Moves the clock forward by <paramref name="delta"/>, firing every timer that falls due on the way.</summary>
    public void Advance(TimeSpan delta)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delta, TimeSpan.Zero);
        DateTimeOffset target;
        lock (_lock)
        {
            target = _now + delta;
        }

        SetUtcNow(target);
    }

    /// <summary>Moves the clock forward to <paramref name="value"/>, firing every timer that falls due on the way.</summary>
    public void SetUtcNow(DateTimeOffset value)
    {
        lock (_lock)
        {
            if (value < _now)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, $"the clock only moves forward; it reads {_now:O}");
            }
        }

        FireDue(value);
    }

    /// <summary>Moves the clock to the next timer's due time and fires it; returns how far the clock moved, or null when no timer was scheduled.</summary>
    public TimeSpan? AdvanceToNextTimer()
    {
        DateTimeOffset from;
        DateTimeOffset due;
        lock (_lock)
        {
            if (_scheduled.Count == 0)
            {
                return null;
            }

            from = _now;
            due = _scheduled.Min(t => t.Due);
        }

        SetUtcNow(due < from ? from : due);
        return due < from ? TimeSpan.Zero : due - from;
    }

    /// <summary>
    /// Completes once at least <paramref name="count"/> timers are scheduled at the same time, i.e. once the code under
    /// test is waiting on the clock. Fails after <paramref name="timeout"/> of real time (default 5 s) with a message
    /// saying how many were seen.
    /// </summary>
    public async Task WaitForTimersAsync(int count = 1, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        TaskCompletionSource signal;
        lock (_lock)
        {
            if (_scheduled.Count >= count)
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
                $"expected {count} scheduled timer(s) within {(timeout ?? DefaultWaitTimeout).TotalSeconds:0.#} s of real time, saw {ActiveTimers}; " +
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
    /// Jumps the clock from one scheduled timer to the next until <paramref name="task"/> ends, then awaits it
    /// (so its exception, if any, is thrown). Fails when the task neither ends nor schedules a timer within
    /// <paramref name="timeout"/> of real time (default 5 s): it is waiting on something other than this clock.
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
        var timer = new FakeTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    public override string ToString() => $"{GetUtcNow():O} ({ActiveTimers} timers)";

    private void Schedule(FakeTimer timer, TimeSpan dueTime, TimeSpan period)
    {
        ValidateTimerSpan(dueTime, nameof(dueTime));
        ValidateTimerSpan(period, nameof(period));
        var fireNow = false;
        lock (_lock)
        {
            if (timer.IsDisposed)
            {
                return;
            }

            _scheduled.Remove(timer);
            if (dueTime == Timeout.InfiniteTimeSpan)
            {
                return;
            }

            timer.Due = _now + dueTime;
            // As System.Threading.Timer: a period of zero or infinity means one shot.
            timer.Period = period == Timeout.InfiniteTimeSpan || period == TimeSpan.Zero ? null : period;
            timer.Order = ++_order;
            _scheduled.Add(timer);
            Interlocked.Increment(ref _timersScheduled);
            fireNow = dueTime == TimeSpan.Zero;
            foreach (var waiter in _waiters.Where(w => _scheduled.Count >= w.Count))
            {
                waiter.Signal.TrySetResult();
            }
        }

        if (fireNow)
        {
            // A real timer due now fires on the thread pool, never inside Change(); keep that, so a caller holding a lock cannot deadlock.
            ThreadPool.UnsafeQueueUserWorkItem(_ => FireDue(GetUtcNow()), null);
        }
    }

    private void Unschedule(FakeTimer timer)
    {
        lock (_lock)
        {
            timer.IsDisposed = true;
            _scheduled.Remove(timer);
        }
    }

    private void FireDue(DateTimeOffset target)
    {
        while (true)
        {
            FakeTimer? next = null;
            lock (_lock)
            {
                foreach (var timer in _scheduled)
                {
                    if (timer.Due <= target && (next is null || timer.Due < next.Due || (timer.Due == next.Due && timer.Order < next.Order)))
                    {
                        next = timer;
                    }
                }

                if (next is null)
                {
                    if (target > _now)
                    {
                        _now = target;
                    }

                    return;
                }

                if (next.Due > _now)
                {
                    _now = next.Due;
                }

                if (next.Period is { } period)
                {
                    next.Due += period;
                    next.Order = ++_order;
                }
                else
                {
                    _scheduled.Remove(next);
                }
            }

            // Outside the lock: the callback may create, change or dispose timers (Task.Delay disposes its own).
            next.Callback(next.State);
        }
    }

    private static void ValidateTimerSpan(TimeSpan value, string name)
    {
        if (value != Timeout.InfiniteTimeSpan && value < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(name, value, "a timer's due time and period are non-negative or Timeout.InfiniteTimeSpan");
        }
    }

    private sealed class FakeTimer(FakeTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        public TimerCallback Callback { get; } = callback;

        public object? State { get; } = state;

        public DateTimeOffset Due { get; set; }

        public TimeSpan? Period { get; set; }

        public long Order { get; set; }

        public bool IsDisposed { get; set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            if (IsDisposed)
            {
                return false;
            }

            owner.Schedule(this, dueTime, period);
            return true;
        }

        public void Dispose() => owner.Unschedule(this);

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
