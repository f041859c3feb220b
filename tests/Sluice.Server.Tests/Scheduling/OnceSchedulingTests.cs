using Sluice.Core.Configuration;
using Sluice.Core.Errors;

namespace Sluice.Server.Tests.Scheduling;

/// <summary><c>schedule: once</c>: one successful run, ever — the state store remembers it across restarts.</summary>
public sealed class OnceSchedulingTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_once_sync_runs_at_start_again_after_a_failure_and_never_after_it_succeeded_even_across_a_restart()
    {
        var bed = SchedulerBed.One("import_customers", Schedule.Once, attempt => attempt == 0 ? throw SluiceException.Transient("the database restarted") : null, endsRuns: true);
        using var stop = new CancellationTokenSource();
        var scheduler = bed.Start(stop.Token);

        await bed.WaitForRunsAsync(1);
        Assert.Equal(1, (await bed.Clock.AdvanceToNextTimerAsync()).TotalSeconds);
        await bed.WaitForRunsAsync(2);
        // Its one run succeeded: the loop ends by itself, nothing more is scheduled.
        await scheduler.WaitAsync(Deadline);
        Assert.Equal(2, bed.Runs.Count);
        Assert.Contains(bed.Log, line => line.Contains("its one run (schedule: once) is tried again in 1 s", StringComparison.Ordinal));

        var restarted = SchedulerBed.One("import_customers", Schedule.Once, _ => null, endsRuns: true);
        restarted.Succeeded = bed.Succeeded;
        await restarted.Start(CancellationToken.None).WaitAsync(Deadline);

        Assert.Empty(restarted.Runs);
    }

    [Fact]
    public void Once_is_read_from_the_config_and_shown_as_written()
    {
        var config = TestConfig.Parse(TestConfig.File(TestConfig.TableSync("users", "schedule: once")));

        var schedule = Schedule.Parse(config.Syncs[0]);

        Assert.Equal((true, false, true, "once"), (schedule.IsOnce, schedule.IsManual, schedule.IsTimed, schedule.ToString()));
    }
}
