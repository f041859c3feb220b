using Sluice.Salesforce.Bulk;

namespace Sluice.Salesforce.Tests;

public sealed class BulkPollDelayTests
{
    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);

    [Fact]
    public void Without_progress_the_delay_doubles_up_to_ten_seconds()
    {
        var schedule = new BulkPollDelay(rows: 20_000);
        Assert.Equal(250 * Ms, schedule.Current);
        Assert.Equal(500 * Ms, schedule.Next(sinceLastPoll: 250 * Ms, processed: 0));
        Assert.Equal(TimeSpan.FromSeconds(1), schedule.Next(sinceLastPoll: 500 * Ms, processed: 0));
        Assert.Equal(TimeSpan.FromSeconds(10), BulkPollDelay.Doubled(TimeSpan.FromSeconds(8)));
        // The first progress (5,000 of 20,000 in 1 s: 3 s more) at most doubles the wait; then stalled at the same count
        // since the last poll: no rate to aim with.
        Assert.Equal(TimeSpan.FromSeconds(2), schedule.Next(sinceLastPoll: TimeSpan.FromSeconds(1), processed: 5_000));
        Assert.Equal(TimeSpan.FromSeconds(4), schedule.Next(sinceLastPoll: TimeSpan.FromSeconds(2), processed: 5_000));
    }

    [Fact]
    public void With_progress_the_poll_is_aimed_past_the_end_the_rate_seen_since_the_last_poll_predicts()
    {
        var schedule = new BulkPollDelay(rows: 20_000);
        schedule.Next(sinceLastPoll: 250 * Ms, processed: 0);
        // The first progress: 5,000 in 0.5 s (part of it perhaps queue time) says 1.5 s more; at most twice the last wait.
        Assert.Equal(TimeSpan.FromSeconds(1), schedule.Next(sinceLastPoll: 500 * Ms, processed: 5_000));
        // 10,000 more in the last second: the last 5,000 need 0.5 s; the poll comes 15% of that and 0.1 s later.
        Assert.Equal(675 * Ms, schedule.Next(sinceLastPoll: TimeSpan.FromSeconds(1), processed: 15_000));
    }

    [Fact]
    public void A_first_low_rate_at_most_doubles_the_delay()
    {
        var schedule = new BulkPollDelay(rows: 100_000);
        schedule.Next(sinceLastPoll: 250 * Ms, processed: 0);
        // Processing began just before this poll: 1,000 of 100,000 in 0.5 s would say 49.5 s more; the next poll comes after 1 s.
        Assert.Equal(TimeSpan.FromSeconds(1), schedule.Next(sinceLastPoll: 500 * Ms, processed: 1_000));
    }

    [Fact]
    public void A_rate_seen_over_less_than_a_second_at_most_quadruples_the_delay()
    {
        var schedule = new BulkPollDelay(rows: 100_000);
        Assert.Equal(500 * Ms, schedule.Next(sinceLastPoll: 250 * Ms, processed: 1_000));
        // 2,000 in 0.5 s says 24.25 s more: the next poll comes after 2 s, with a longer window to aim from.
        Assert.Equal(TimeSpan.FromSeconds(2), schedule.Next(sinceLastPoll: 500 * Ms, processed: 3_000));
        // 20,000 in those 2 s: the other 77,000 need 7.7 s; aimed 15% and 0.1 s past them.
        Assert.Equal(TimeSpan.FromMilliseconds(8_955), schedule.Next(sinceLastPoll: TimeSpan.FromSeconds(2), processed: 23_000));
    }

    [Fact]
    public void A_poll_aimed_past_the_end_that_finds_the_job_running_doubles_the_margin()
    {
        var schedule = new BulkPollDelay(rows: 20_000);
        schedule.Next(sinceLastPoll: 250 * Ms, processed: 0);
        schedule.Next(sinceLastPoll: 500 * Ms, processed: 5_000);
        Assert.Equal(675 * Ms, schedule.Next(sinceLastPoll: TimeSpan.FromSeconds(1), processed: 15_000));
        // The job slowed down: 4,000 in 0.675 s, 1,000 left (0.16875 s at that rate), now aimed 30% past it.
        Assert.Equal(TimeSpan.FromTicks((long)(0.16875 * 1.3 * TimeSpan.TicksPerSecond)) + 100 * Ms, schedule.Next(sinceLastPoll: 675 * Ms, processed: 19_000));
    }

    [Fact]
    public void The_delay_stays_between_a_quarter_second_and_ten_seconds_or_twenty_when_aimed_from_a_rate()
    {
        var schedule = new BulkPollDelay(rows: 20_000);
        schedule.Next(sinceLastPoll: 250 * Ms, processed: 0);
        schedule.Next(sinceLastPoll: 500 * Ms, processed: 100);
        Assert.Equal(250 * Ms, schedule.Next(sinceLastPoll: TimeSpan.FromSeconds(1), processed: 19_999));
        // A rate seen over 5 s that says 5,000 s more: aimed at most 20 s on; without progress, doubling stops at 10 s.
        var slow = new BulkPollDelay(rows: 100_000);
        slow.Next(sinceLastPoll: 250 * Ms, processed: 1);
        Assert.Equal(TimeSpan.FromSeconds(20), slow.Next(sinceLastPoll: TimeSpan.FromSeconds(5), processed: 100));
        Assert.Equal(TimeSpan.FromSeconds(10), slow.Next(sinceLastPoll: TimeSpan.FromSeconds(20), processed: 100));
    }

    /// <summary>
    /// The salesforce bench's 100,000-row job takes five requests besides its polls (describe, create, upload, close,
    /// successful results): ≤ 10 requests means ≤ 5 polls, whatever the machine's load does to the job's speed.
    /// </summary>
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(1.0)]
    public void A_job_that_runs_up_to_a_tenth_slower_than_its_rate_predicts_is_seen_done_within_five_polls(double queueSeconds)
    {
        foreach (var seconds in new[] { 0.3, 0.5, 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10 })
        {
            foreach (var slowFrom in new[] { 0.1, 0.3, 0.5, 0.7, 0.9 })
            {
                foreach (var slower in new[] { 1.0, 1.05, 1.1 })
                {
                    var job = new SimulatedJob(100_000, queueSeconds, seconds, slowFrom, slower);
                    var polls = job.Poll();
                    Assert.True(polls.Count <= 5, $"{job}: polls at {string.Join(", ", polls.Select(p => p.ToString("F2")))} s");
                    // Never far past the end either: the margin is 15% of the rest and 0.1 s; the last poll before it may be up to 0.5 s short.
                    Assert.True(polls[^1] - job.End <= 0.15 * seconds * slower + 0.6, $"{job}: polls at {string.Join(", ", polls.Select(p => p.ToString("F2")))} s");
                }
            }
        }
    }

    [Fact]
    public void A_steady_job_on_a_quiet_machine_is_seen_done_by_its_fourth_poll()
    {
        foreach (var seconds in new[] { 0.5, 1, 2, 3, 4, 6, 8 })
        {
            var job = new SimulatedJob(100_000, QueueSeconds: 0.05, seconds, SlowFrom: 1, Slower: 1);
            var polls = job.Poll();
            Assert.True(polls.Count <= 4, $"{job}: polls at {string.Join(", ", polls.Select(p => p.ToString("F2")))} s");
        }
    }

    [Fact]
    public void A_job_that_a_loaded_machine_stretches_to_forty_seconds_is_seen_done_within_five_polls()
    {
        // The bench's job under load (other work on the same two cores) took 8-18 s and up to 8 polls.
        foreach (var seconds in new[] { 10, 12, 15, 18, 20, 25, 30, 40 })
        {
            var job = new SimulatedJob(100_000, QueueSeconds: 0.3, seconds, SlowFrom: 1, Slower: 1);
            var polls = job.Poll();
            Assert.True(polls.Count <= 5, $"{job}: polls at {string.Join(", ", polls.Select(p => p.ToString("F2")))} s");
        }
    }

    [Fact]
    public void A_job_that_keeps_slowing_down_is_not_polled_every_quarter_second()
    {
        // A third of its speed from halfway: every aimed poll finds it running, and each aims further past the end.
        foreach (var seconds in new[] { 1, 2, 4, 8 })
        {
            var job = new SimulatedJob(100_000, QueueSeconds: 0.2, seconds, SlowFrom: 0.5, Slower: 3);
            var polls = job.Poll();
            Assert.True(polls.Count <= 6, $"{job}: polls at {string.Join(", ", polls.Select(p => p.ToString("F2")))} s");
        }
    }

    /// <summary>
    /// A job that waits <paramref name="QueueSeconds"/>, then processes its rows at a steady rate that would take
    /// <paramref name="Seconds"/>, but <paramref name="Slower"/> times slower from the share <paramref name="SlowFrom"/> of its rows on.
    /// </summary>
    private sealed record SimulatedJob(long Rows, double QueueSeconds, double Seconds, double SlowFrom, double Slower)
    {
        public double End => QueueSeconds + Seconds * (SlowFrom + (1 - SlowFrom) * Slower);

        private long Processed(double at)
        {
            var share = Math.Max(0, at - QueueSeconds) / Seconds;
            var done = share <= SlowFrom ? share : SlowFrom + (share - SlowFrom) / Slower;
            return (long)(Rows * Math.Min(1, done));
        }

        /// <summary>The times of the polls (seconds after the job was closed), the last the one that finds it done.</summary>
        public List<double> Poll()
        {
            var schedule = new BulkPollDelay(Rows);
            var polls = new List<double>();
            var (at, last) = (0.0, 0.0);
            while (polls.Count < 100)
            {
                at += schedule.Current.TotalSeconds;
                polls.Add(at);
                if (at >= End)
                {
                    break;
                }

                schedule.Next(TimeSpan.FromSeconds(at - last), Processed(at));
                last = at;
            }

            return polls;
        }
    }
}
