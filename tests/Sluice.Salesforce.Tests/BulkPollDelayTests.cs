using Sluice.Salesforce.Bulk;

namespace Sluice.Salesforce.Tests;

public sealed class BulkPollDelayTests
{
    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);

    [Fact]
    public void Without_progress_the_delay_doubles_up_to_ten_seconds()
    {
        Assert.Equal(500 * Ms, BulkPollDelay.Next(previous: 250 * Ms, sinceLastPoll: 250 * Ms, processedBefore: 0, processed: 0, rows: 20_000));
        Assert.Equal(TimeSpan.FromSeconds(10), BulkPollDelay.Next(previous: TimeSpan.FromSeconds(8), sinceLastPoll: TimeSpan.FromSeconds(8), processedBefore: 0, processed: 0, rows: 20_000));
        // Stalled at the same count since the last poll: no rate to aim with.
        Assert.Equal(TimeSpan.FromSeconds(2), BulkPollDelay.Next(previous: TimeSpan.FromSeconds(1), sinceLastPoll: TimeSpan.FromSeconds(1), processedBefore: 5_000, processed: 5_000, rows: 20_000));
    }

    [Fact]
    public void With_progress_the_delay_is_the_time_the_rest_needs_at_the_rate_seen_since_the_last_poll()
    {
        // 5,000 of 20,000 in the 2 s since the last poll: the other 15,000 need 6 s.
        Assert.Equal(TimeSpan.FromSeconds(6), BulkPollDelay.Next(previous: TimeSpan.FromSeconds(4), sinceLastPoll: TimeSpan.FromSeconds(2), processedBefore: 0, processed: 5_000, rows: 20_000));
        // 10,000 more in the last second (none of the queue and parse time before it counts): the last 5,000 need 0.5 s.
        Assert.Equal(500 * Ms, BulkPollDelay.Next(previous: TimeSpan.FromSeconds(1), sinceLastPoll: TimeSpan.FromSeconds(1), processedBefore: 5_000, processed: 15_000, rows: 20_000));
    }

    [Fact]
    public void A_first_low_rate_at_most_doubles_the_delay()
    {
        // Processing began just before this poll: 1,000 of 100,000 in 0.5 s would say 49.5 s more; the next poll comes after 1 s.
        Assert.Equal(TimeSpan.FromSeconds(1), BulkPollDelay.Next(previous: 500 * Ms, sinceLastPoll: 500 * Ms, processedBefore: 0, processed: 1_000, rows: 100_000));
    }

    [Fact]
    public void The_delay_from_the_rate_stays_between_a_quarter_second_and_ten_seconds()
    {
        Assert.Equal(250 * Ms, BulkPollDelay.Next(previous: TimeSpan.FromSeconds(1), sinceLastPoll: TimeSpan.FromSeconds(1), processedBefore: 0, processed: 19_990, rows: 20_000));
        Assert.Equal(TimeSpan.FromSeconds(10), BulkPollDelay.Next(previous: TimeSpan.FromSeconds(8), sinceLastPoll: TimeSpan.FromSeconds(5), processedBefore: 0, processed: 100, rows: 100_000));
    }
}
