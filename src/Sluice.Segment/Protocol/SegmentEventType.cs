namespace Sluice.Segment.Protocol;

/// <summary>The six Segment Spec call types. The numeric values index per-type counters.</summary>
public enum SegmentEventType : byte
{
    Identify,
    Track,
    Page,
    Screen,
    Group,
    Alias,
}
