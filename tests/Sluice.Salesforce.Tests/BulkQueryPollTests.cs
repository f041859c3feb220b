using Sluice.Salesforce.Bulk;

namespace Sluice.Salesforce.Tests;

/// <summary>A Bulk query job reports no progress until it is done: its polls come at most a quarter of the wait (or a quarter second) late.</summary>
public sealed class BulkQueryPollTests
{
    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);

    [Fact]
    public void A_query_job_is_polled_every_quarter_second_at_first_and_then_by_a_quarter_of_the_time_waited()
    {
        var delays = new List<TimeSpan>();
        var waited = TimeSpan.Zero;
        while (waited < TimeSpan.FromMinutes(2))
        {
            var delay = BulkQueryJob.NextDelay(waited);
            delays.Add(delay);
            waited += delay;
        }

        // A poll every quarter second for the first second: a job done after 1.05 s is seen by 1.25 s, not at 1.75 s.
        Assert.Equal(Enumerable.Repeat(250 * Ms, 5), delays.Take(5));
        Assert.Equal(1250 * Ms, delays.Take(5).Aggregate(TimeSpan.Zero, (a, b) => a + b));
        // Then never more than a quarter of the time waited late, nor sooner than a quarter second after the last poll.
        Assert.All(delays.Select((d, i) => (Delay: d, Before: delays.Take(i).Aggregate(TimeSpan.Zero, (a, b) => a + b))),
            p => Assert.True(p.Delay >= 250 * Ms && p.Delay <= TimeSpan.FromTicks(Math.Max(250 * TimeSpan.TicksPerMillisecond, p.Before.Ticks / 4)), $"{p.Delay} after {p.Before}"));
        // A 60 s job costs 24 polls (the first, at once, included); a long job is still polled at most every ten seconds.
        Assert.Equal(23, delays.Select((d, i) => delays.Take(i).Aggregate(TimeSpan.Zero, (a, b) => a + b)).Count(before => before < TimeSpan.FromSeconds(60)));
        Assert.Equal(TimeSpan.FromSeconds(10), delays[^1]);
    }
}
