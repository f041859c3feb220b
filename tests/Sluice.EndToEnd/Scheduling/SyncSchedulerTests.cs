using Microsoft.Extensions.Logging.Testing;
using Sluice.Core.Engine;
using Sluice.Core.Errors;
using Sluice.Server.Hosting;
using Sluice.Server.Scheduling;
using Sluice.Testing;

namespace Sluice.EndToEnd.Scheduling;

/// <summary>The scheduler's loops, in process, with runs that fail on cue and a fake clock.</summary>
public sealed class SyncSchedulerTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_continuous_sync_that_throws_a_bug_is_logged_with_its_name_and_restarted()
    {
        var bed = new Bed(attempt => attempt == 0 ? throw new InvalidOperationException("the flattener tripped") : null);
        using var stop = new CancellationTokenSource();
        var scheduler = bed.Start(stop.Token);

        await bed.WaitForAttemptsAsync(1);
        await bed.Time.WaitForTimersAsync(1, Deadline);
        Assert.Equal(["web_to_warehouse: run failed: internal error: InvalidOperationException: the flattener tripped; restarting in 1 s"], bed.Log);

        bed.Time.Advance(TimeSpan.FromSeconds(1));
        await bed.WaitForAttemptsAsync(2);

        await stop.CancelAsync();
        await scheduler.WaitAsync(Deadline);
    }

    [Fact]
    public async Task Restart_pauses_double_with_each_failure_in_a_row_and_start_over_after_a_run_that_committed()
    {
        var bed = new Bed(attempt => attempt switch
        {
            < 3 => throw SluiceException.Transient("the state database is unreachable"),
            // This one commits a batch before it fails: the sync was healthy until then.
            3 => new Bed.Failure(Progressed: true),
            < 5 => throw new InvalidOperationException("boom"),
            _ => null,
        });
        using var stop = new CancellationTokenSource();
        var scheduler = bed.Start(stop.Token);

        var pauses = new List<TimeSpan>();
        for (var attempts = 1; attempts <= 5; attempts++)
        {
            await bed.WaitForAttemptsAsync(attempts);
            await bed.Time.WaitForTimersAsync(1, Deadline);
            pauses.Add(bed.Time.AdvanceToNextTimer()!.Value);
        }

        await bed.WaitForAttemptsAsync(6);
        Assert.Equal([1, 2, 4, 1, 2], pauses.Select(p => p.TotalSeconds));
        Assert.All(bed.Log, line => Assert.StartsWith("web_to_warehouse: run failed: ", line, StringComparison.Ordinal));
        await stop.CancelAsync();
        await scheduler.WaitAsync(Deadline);
    }

    [Fact]
    public void Restart_pauses_are_jittered_between_half_and_all_of_their_ceiling_and_capped_at_a_minute()
    {
        var low = new RestartBackoff(() => 0);
        var high = new RestartBackoff(() => 0.999999);

        var lows = Enumerable.Range(0, 9).Select(_ => low.Next().TotalSeconds).ToList();
        var highs = Enumerable.Range(0, 9).Select(_ => Math.Round(high.Next().TotalSeconds)).ToList();

        Assert.Equal([0.5, 1, 2, 4, 8, 16, 30, 30, 30], lows);
        Assert.Equal([1, 2, 4, 8, 16, 32, 60, 60, 60], highs);
    }

    [Fact]
    public async Task A_scheduled_sync_that_throws_a_bug_is_logged_and_runs_again_at_its_next_interval()
    {
        var bed = new Bed(attempt => attempt == 0 ? throw new FormatException("bad input") : null, Schedule: new Schedule(TimeSpan.FromMinutes(5)), EndsRuns: true);
        using var stop = new CancellationTokenSource();
        var scheduler = bed.Start(stop.Token);

        await bed.WaitForAttemptsAsync(1);
        await bed.Time.WaitForTimersAsync(1, Deadline);
        Assert.Equal(["web_to_warehouse: run failed: internal error: FormatException: bad input; the next run is in 5 min, as scheduled"], bed.Log);
        bed.Time.Advance(TimeSpan.FromMinutes(5));
        await bed.WaitForAttemptsAsync(2);

        await stop.CancelAsync();
        await scheduler.WaitAsync(Deadline);
    }

    /// <summary>
    /// One sync, <c>web_to_warehouse</c>. Its n-th run (from 0) does what <c>behaviour(n)</c> says: throws, returns a
    /// <see cref="Failure"/> (reports a committed batch, then fails), or returns null (runs until stopped, or, with
    /// <c>EndsRuns</c>, ends at once).
    /// </summary>
    private sealed class Bed(Func<int, Bed.Failure?> behaviour, Schedule? Schedule = null, bool EndsRuns = false)
    {
        private readonly FakeLogger _log = new();
        private readonly SemaphoreSlim _attempted = new(0);
        private int _attempts;

        public TimerAwareFakeTimeProvider Time { get; } = new();

        public IReadOnlyList<string> Log => [.. _log.Collector.GetSnapshot().Select(r => r.Message)];

        public Task Start(CancellationToken ct)
        {
            var scheduler = new SyncScheduler(
                _ => Task.FromResult<IReadOnlyList<(string, Schedule)>>([("web_to_warehouse", Schedule ?? Server.Hosting.Schedule.Continuous)]),
                RunAsync,
                Time,
                _log,
                // The top of the jitter range: each pause is its ceiling.
                () => 1);
            return Task.Run(() => scheduler.RunAsync(ct), CancellationToken.None);
        }

        /// <summary>
        /// Until the sync has been started <paramref name="count"/> times in all (a start, not an end: a failing run may
        /// still be failing; wait for its restart timer to know it has failed).
        /// </summary>
        public async Task WaitForAttemptsAsync(int count)
        {
            while (Volatile.Read(ref _attempts) < count)
            {
                Assert.True(await _attempted.WaitAsync(Deadline), $"the sync was started {_attempts} times, not {count}; log: {string.Join(" | ", Log)}");
            }
        }

        private async Task<RunResult> RunAsync(string name, ISyncObserver observer, CancellationToken ct)
        {
            var attempt = Interlocked.Increment(ref _attempts) - 1;
            // Counted as started now: a run that goes on until stopped must not keep a waiter waiting.
            _attempted.Release();
            if (behaviour(attempt) is { Progressed: true })
            {
                observer.OnProgress(name, new RunProgress(1, 1, 0, null, TimeSpan.Zero));
                throw SluiceException.Transient("the connection dropped after a batch");
            }

            if (!EndsRuns)
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            }

            return new RunResult(attempt, 0, 0, 0, 0, TimeSpan.Zero, null);
        }

        public sealed record Failure(bool Progressed);
    }
}
