namespace Sluice.Segment.Protocol;

/// <summary>Why a <see cref="SegmentMessage"/> is refused, or is not a complete Segment call.</summary>
public enum SegmentMessageProblem
{
    /// <summary>The JSON is not an object.</summary>
    NotAnObject,

    /// <summary>No <c>type</c> (absent, null or blank).</summary>
    NoType,

    /// <summary>A <c>type</c> that is none of identify, track, page, screen, group, alias.</summary>
    UnknownType,

    /// <summary>No <c>messageId</c>.</summary>
    NoMessageId,

    /// <summary>A track without an <c>event</c> name.</summary>
    TrackWithoutEvent,

    /// <summary>A group without a <c>groupId</c>.</summary>
    GroupWithoutGroupId,
}
