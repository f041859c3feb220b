using Sluice.Core.Configuration;

namespace Sluice.Segment.Destination;

/// <summary>A sync's <c>destination:</c> when it is a Segment connection.</summary>
public sealed class SegmentDestinationOptions
{
    public SegmentCall Call { get; init; } = SegmentCall.Identify;

    public static SegmentDestinationOptions Bind(ConfigSection destination)
    {
        var options = new SegmentDestinationOptions
        {
            Call = destination.GetEnum<SegmentCall>("call")
                ?? throw new ConfigException(destination.Location, "missing required key 'call'", "say which Segment call to make, e.g. 'call: identify'"),
        };
        destination.RejectUnknownKeys(["connection"]);
        return options;
    }
}
