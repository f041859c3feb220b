namespace Sluice.Emulators.Segment.Internal;

/// <summary>The six Segment Spec call types. The numeric values index per-type counters.</summary>
internal enum SegmentEventType : byte
{
    Identify,
    Track,
    Page,
    Screen,
    Group,
    Alias,
}
