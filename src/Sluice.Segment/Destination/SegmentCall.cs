namespace Sluice.Segment.Destination;

/// <summary>The Segment Spec call a sync makes for each record.</summary>
public enum SegmentCall
{
    /// <summary>Who the user is: <c>userId</c> plus traits (S1).</summary>
    Identify,

    /// <summary>Something the user did: an <c>event</c> name plus properties (S2).</summary>
    Track,

    /// <summary>The account a user belongs to: <c>groupId</c> plus the account's traits (S3).</summary>
    Group,
}
