using Sluice.Core.Configuration;
using Sluice.Core.Engine;
using Sluice.Segment.Destination;

namespace Sluice.Segment.Tests.Destination;

public sealed class SegmentRateLimitOptionsTests
{
    [Fact]
    public void Without_a_rate_limit_a_connection_gets_Segments_guidance_and_a_quarter_for_backfills()
    {
        var limits = Bind("").RateLimit;

        Assert.Equal(200, limits.RequestsPerSecond);
        Assert.Null(limits.EventsPerSecond);
        Assert.Equal(RateLimitOptions.DefaultBackfillShare, limits.BackfillShare);
    }

    [Fact]
    public void Every_rate_limit_key_is_read()
    {
        var limits = Bind("rate_limit: {requests_per_second: 20, events_per_second: 2000, backfill_share: 0.5}").RateLimit;

        Assert.Equal(20, limits.RequestsPerSecond);
        Assert.Equal(2000, limits.EventsPerSecond);
        Assert.Equal(0.5, limits.BackfillShare);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1.5")]
    public void A_backfill_share_outside_its_range_is_a_config_error_naming_the_key(string share)
    {
        var error = Assert.Throws<ConfigException>(() => Bind($"rate_limit: {{backfill_share: {share}}}"));

        Assert.Contains("backfill_share", error.Message, StringComparison.Ordinal);
    }

    private static SegmentConnectionOptions Bind(string extra)
    {
        var yaml = $"""
            connections:
              segment:
                type: segment
                write_key: k
                {extra}
            """;
        return SegmentConnectionOptions.Bind(SluiceConfig.Parse(yaml, "sluice.yaml").Connections.Single());
    }
}
