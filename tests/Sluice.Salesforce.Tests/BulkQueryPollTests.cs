using Sluice.Salesforce.Bulk;

namespace Sluice.Salesforce.Tests;

/// <summary>A Bulk query job reports no progress until it is done: its polls come at most a quarter of the wait late.</summary>
public sealed class BulkQueryPollTests
{
    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);

    [Fact]
    public void A_query_job_is_polled_every_second_at_first_and_then_by_a_quarter_of_the_time_waited()
    {
        var delays = new List<TimeSpan>();
        var waited = TimeSpan.Zero;
        var delay = BulkPollDelay.First;
        while (waited < TimeSpan.FromMinutes(2))
        {
            delays.Add(delay);
            waited += delay;
            delay = BulkQueryJob.NextDelay(delay, waited);
        }

        // 0.25 s, 0.5 s, then a poll a second: a job done after 4 s is seen by 4.75 s, not at 7.75 s.
        Assert.Equal([250 * Ms, 500 * Ms, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)], delays.Take(5));
        Assert.All(delays.Skip(1).Select((d, i) => (Delay: d, Before: delays.Take(i + 1).Aggregate(TimeSpan.Zero, (a, b) => a + b))),
            p => Assert.True(p.Delay <= TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerSecond, p.Before.Ticks / 4)), $"{p.Delay} after {p.Before}"));
        // A long job is still polled at most every ten seconds.
        Assert.Equal(TimeSpan.FromSeconds(10), delays[^1]);
    }
}
