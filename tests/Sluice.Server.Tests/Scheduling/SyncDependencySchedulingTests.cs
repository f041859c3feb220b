using Sluice.Core.Errors;

namespace Sluice.Server.Tests.Scheduling;

/// <summary><c>after:</c> under the scheduler: a child's parents run first on each of its runs, and a failed parent holds it back.</summary>
public sealed class SyncDependencySchedulingTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_child_on_an_interval_runs_its_parents_first_parents_before_their_children_each_once_on_every_run()
    {
        var config = TestConfig.Parse(TestConfig.File(
            TestConfig.TableSync("orders", "after: [accounts, users]", "schedule: every 5m"),
            TestConfig.TableSync("accounts", "after: users"),
            TestConfig.TableSync("users")));
        var bed = new SchedulerBed(SchedulerBed.SyncsOf(config), (_, _) => null, endsRuns: true);
        using var stop = new CancellationTokenSource();
        var scheduler = bed.Start(stop.Token);

        await bed.WaitForRunsAsync(3);
        Assert.Equal(TimeSpan.FromMinutes(5), await bed.Clock.AdvanceToNextTimerAsync());
        await bed.WaitForRunsAsync(6);

        Assert.Equal(["users", "accounts", "orders", "users", "accounts", "orders"], bed.Runs.Select(r => r.Sync));
        Assert.Empty(bed.Log);
        await stop.CancelAsync();
        await scheduler.WaitAsync(Deadline);
    }

    [Fact]
    public async Task A_failed_parent_holds_its_child_back_with_the_reason_logged_until_the_childs_next_run()
    {
        var config = TestConfig.Parse(TestConfig.File(
            TestConfig.TableSync("users"),
            TestConfig.TableSync("orders", "after: users", "schedule: every 5m")));
        var bed = new SchedulerBed(SchedulerBed.SyncsOf(config), (_, run) => run == 0 ? throw SluiceException.Transient("the source database is unreachable") : null, endsRuns: true);
        using var stop = new CancellationTokenSource();
        var scheduler = bed.Start(stop.Token);

        await bed.WaitForRunsAsync(1);
        Assert.Equal(TimeSpan.FromMinutes(5), await bed.Clock.NextTimerAsync());
        Assert.Equal(["users"], bed.Runs.Select(r => r.Sync));
        Assert.Equal(
            [
                "users: run failed: the source database is unreachable (run first for 'orders', which is after it)",
                "orders: not run: 'users', which it runs after, failed; the next run is in 5 min, as scheduled",
            ],
            bed.Log);

        bed.Clock.Advance(TimeSpan.FromMinutes(5));
        await bed.WaitForRunsAsync(3);
        Assert.Equal(["users", "users", "orders"], bed.Runs.Select(r => r.Sync));
        await stop.CancelAsync();
        await scheduler.WaitAsync(Deadline);
    }

    [Fact]
    public async Task A_child_on_a_cron_schedule_runs_its_parents_first_at_each_time()
    {
        var config = TestConfig.Parse(TestConfig.File(
            TestConfig.TableSync("users"),
            TestConfig.TableSync("orders", "after: users", "schedule: cron 0 3 * * *")));
        var bed = new SchedulerBed(SchedulerBed.SyncsOf(config), (_, _) => null, endsRuns: true, start: new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero));
        using var stop = new CancellationTokenSource();
        var scheduler = bed.Start(stop.Token);

        Assert.Equal(TimeSpan.FromHours(3), await bed.Clock.AdvanceToNextTimerAsync());
        await bed.WaitForRunsAsync(2);

        var three = new DateTimeOffset(2025, 6, 1, 3, 0, 0, TimeSpan.Zero);
        Assert.Equal([("users", three), ("orders", three)], bed.Runs);
        await stop.CancelAsync();
        await scheduler.WaitAsync(Deadline);
    }
}
