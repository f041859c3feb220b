namespace Sluice.Segment.Destination;

/// <summary>The Segment Spec call a sync makes for each record.</summary>
public enum SegmentCall
{
    /// <summary>Who the user is: <c>userId</c> plus traits (S1).</summary>
    Identify,
}
