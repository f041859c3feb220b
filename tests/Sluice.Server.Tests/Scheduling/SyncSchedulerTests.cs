using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Sluice.Server.Scheduling;

namespace Sluice.Server.Tests.Scheduling;

/// <summary>The scheduler's loops, in process, with runs that fail on cue and a fake clock.</summary>
public sealed class SyncSchedulerTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_continuous_sync_that_throws_a_bug_is_logged_with_its_name_and_restarted()
    {
        var bed = SchedulerBed.One("web_to_warehouse", Schedule.Continuous, attempt => attempt == 0 ? throw new InvalidOperationException("the flattener tripped") : null);
        using var stop = new CancellationTokenSource();
        var scheduler = bed.Start(stop.Token);

        await bed.WaitForRunsAsync(1);
        await bed.Clock.NextTimerAsync();
        Assert.Equal(["web_to_warehouse: run failed: internal error: InvalidOperationException: the flattener tripped; restarting in 1 s"], bed.Log);

        bed.Clock.Advance(TimeSpan.FromSeconds(1));
        await bed.WaitForRunsAsync(2);

        await stop.CancelAsync();
        await scheduler.WaitAsync(Deadline);
    }

    [Fact]
    public async Task Restart_pauses_double_with_each_failure_in_a_row_and_start_over_after_a_run_that_committed()
    {
        var bed = SchedulerBed.One("web_to_warehouse", Schedule.Continuous, attempt => attempt switch
        {
            < 3 => throw SluiceException.Transient("the state database is unreachable"),
            // This one commits a batch before it fails: the sync was healthy until then.
            3 => new SchedulerBed.Failure(Progressed: true),
            < 5 => throw new InvalidOperationException("boom"),
            _ => null,
        });
        using var stop = new CancellationTokenSource();
        var scheduler = bed.Start(stop.Token);

        var pauses = new List<TimeSpan>();
        for (var attempts = 1; attempts <= 5; attempts++)
        {
            await bed.WaitForRunsAsync(attempts);
            pauses.Add(await bed.Clock.AdvanceToNextTimerAsync());
        }

        await bed.WaitForRunsAsync(6);
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
        var bed = SchedulerBed.One("web_to_warehouse", new Schedule(TimeSpan.FromMinutes(5)), attempt => attempt == 0 ? throw new FormatException("bad input") : null, endsRuns: true);
        using var stop = new CancellationTokenSource();
        var scheduler = bed.Start(stop.Token);

        await bed.WaitForRunsAsync(1);
        await bed.Clock.NextTimerAsync();
        Assert.Equal(["web_to_warehouse: run failed: internal error: FormatException: bad input; the next run is in 5 min, as scheduled"], bed.Log);
        bed.Clock.Advance(TimeSpan.FromMinutes(5));
        await bed.WaitForRunsAsync(2);

        await stop.CancelAsync();
        await scheduler.WaitAsync(Deadline);
    }

    [Fact]
    public async Task An_interval_sync_runs_at_start_then_each_interval_after_its_previous_run_ended()
    {
        var bed = SchedulerBed.One("users_to_segment", new Schedule(TimeSpan.FromMinutes(5)), _ => null, endsRuns: true);
        var start = bed.Clock.GetUtcNow();
        using var stop = new CancellationTokenSource();
        var scheduler = bed.Start(stop.Token);

        for (var runs = 1; runs <= 3; runs++)
        {
            await bed.WaitForRunsAsync(runs);
            Assert.Equal(TimeSpan.FromMinutes(5), await bed.Clock.AdvanceToNextTimerAsync());
        }

        await bed.WaitForRunsAsync(4);
        Assert.Equal([start, start.AddMinutes(5), start.AddMinutes(10), start.AddMinutes(15)], bed.Runs.Select(r => r.At));
        Assert.Empty(bed.Log);
        await stop.CancelAsync();
        await scheduler.WaitAsync(Deadline);
    }
}
