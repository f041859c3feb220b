using Sluice.Salesforce.Bulk;

namespace Sluice.Salesforce.Tests;

public sealed class BulkPollDelayTests
{
    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);

    [Fact]
    public void Without_progress_the_delay_doubles_up_to_ten_seconds()
    {
        Assert.Equal(500 * Ms, BulkPollDelay.Next(previous: 250 * Ms, elapsed: 250 * Ms, processed: 0, rows: 20_000));
        Assert.Equal(TimeSpan.FromSeconds(10), BulkPollDelay.Next(previous: TimeSpan.FromSeconds(8), elapsed: TimeSpan.FromSeconds(15), processed: 0, rows: 20_000));
    }

    [Fact]
    public void With_progress_the_delay_is_the_time_the_rest_needs_at_the_observed_rate()
    {
        // 5,000 of 20,000 in 2 s: the other 15,000 need 6 s.
        Assert.Equal(TimeSpan.FromSeconds(6), BulkPollDelay.Next(previous: TimeSpan.FromSeconds(1), elapsed: TimeSpan.FromSeconds(2), processed: 5_000, rows: 20_000));
    }

    [Fact]
    public void The_delay_from_the_rate_stays_between_a_quarter_second_and_ten_seconds()
    {
        Assert.Equal(250 * Ms, BulkPollDelay.Next(previous: TimeSpan.FromSeconds(1), elapsed: TimeSpan.FromSeconds(1), processed: 19_990, rows: 20_000));
        Assert.Equal(TimeSpan.FromSeconds(10), BulkPollDelay.Next(previous: 250 * Ms, elapsed: TimeSpan.FromSeconds(5), processed: 100, rows: 100_000));
    }
}
