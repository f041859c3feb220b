using Sluice.Core.Configuration;

namespace Sluice.Server.Tests.Scheduling;

/// <summary><c>schedule: cron …</c>: parsed from config, and run by the scheduler at each time on a fake clock.</summary>
public sealed class CronSchedulingTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private static Schedule ScheduleOf(string schedule) =>
        Schedule.Parse(TestConfig.Parse(TestConfig.File(TestConfig.TableSync("users", $"schedule: {schedule}"))).Syncs[0]);

    [Fact]
    public async Task A_cron_sync_runs_at_each_time_in_its_time_zone_across_the_spring_DST_change_and_not_at_start()
    {
        // Paris moves from UTC+1 to UTC+2 at 02:00 on 30 March 2025: 03:00 there is 02:00 UTC on the 29th, 01:00 UTC on the 30th.
        var bed = SchedulerBed.One("nightly", ScheduleOf("cron 0 3 * * * Europe/Paris"), _ => null, endsRuns: true,
            start: new DateTimeOffset(2025, 3, 28, 12, 0, 0, TimeSpan.Zero));
        using var stop = new CancellationTokenSource();
        var scheduler = bed.Start(stop.Token);

        var waits = new List<TimeSpan>();
        for (var runs = 0; runs < 3; runs++)
        {
            await bed.WaitForRunsAsync(runs);
            waits.Add(await bed.Clock.AdvanceToNextTimerAsync());
        }

        await bed.WaitForRunsAsync(3);
        Assert.Equal([14, 23, 24], waits.Select(w => w.TotalHours));
        Assert.Equal(
            [new DateTimeOffset(2025, 3, 29, 2, 0, 0, TimeSpan.Zero), new DateTimeOffset(2025, 3, 30, 1, 0, 0, TimeSpan.Zero), new DateTimeOffset(2025, 3, 31, 1, 0, 0, TimeSpan.Zero)],
            bed.Runs.Select(r => r.At));
        await stop.CancelAsync();
        await scheduler.WaitAsync(Deadline);
    }

    [Fact]
    public async Task A_failed_cron_run_is_logged_with_the_next_time_in_the_schedule_zone()
    {
        var bed = SchedulerBed.One("nightly", ScheduleOf("cron 30 2 * * 1-5"), attempt => attempt == 0 ? throw Core.Errors.SluiceException.Transient("the source is down") : null, endsRuns: true,
            start: new DateTimeOffset(2025, 1, 10, 12, 0, 0, TimeSpan.Zero));
        using var stop = new CancellationTokenSource();
        var scheduler = bed.Start(stop.Token);

        // Friday 10 January at noon: the next weekday 02:30 UTC is Monday the 13th; after it, Tuesday the 14th.
        Assert.Equal(TimeSpan.FromHours(62.5), await bed.Clock.AdvanceToNextTimerAsync());
        await bed.WaitForRunsAsync(1);
        Assert.Equal(TimeSpan.FromHours(24), await bed.Clock.NextTimerAsync());
        Assert.Equal(["nightly: run failed: the source is down; the next run is at 2025-01-14 02:30 UTC, as scheduled"], bed.Log);
        await stop.CancelAsync();
        await scheduler.WaitAsync(Deadline);
    }

    [Fact]
    public void A_cron_schedule_without_a_time_zone_is_read_in_UTC_and_shown_as_written()
    {
        var schedule = ScheduleOf("cron 0 3 * * *");

        Assert.Equal("cron 0 3 * * *", schedule.ToString());
        Assert.False(schedule.IsManual);
        Assert.Equal(new DateTimeOffset(2025, 7, 2, 3, 0, 0, TimeSpan.Zero), schedule.Cron!.NextAfter(new DateTimeOffset(2025, 7, 1, 3, 0, 0, TimeSpan.Zero)));
        Assert.Equal("cron 0 3 * * * Europe/Paris", ScheduleOf("cron 0 3 * * * Europe/Paris").ToString());
    }

    [Theory]
    [InlineData("cron 0 3 * *", "has five fields")]
    [InlineData("cron 0 25 * * *", "is not a cron expression")]
    [InlineData("cron 0 3 * * * Europe/Pariss", "'Europe/Pariss' is not a time zone")]
    [InlineData("cron 0 0 3 * * * UTC", "only a time zone may follow")]
    public void A_wrong_cron_schedule_is_a_config_error_at_the_schedule_key_with_the_fix(string schedule, string problem)
    {
        var yaml = TestConfig.File(TestConfig.TableSync("users", $"schedule: {schedule}"));

        var error = Assert.Throws<ConfigException>(() => Schedule.Parse(TestConfig.Parse(yaml).Syncs[0]));

        Assert.Contains(problem, error.Problem, StringComparison.Ordinal);
        Assert.Equal(TestConfig.LineOf(yaml, "schedule:"), error.Location!.Line);
        Assert.Equal("syncs.users.schedule", error.Location.KeyPath);
        Assert.NotNull(error.Fix);
    }
}
