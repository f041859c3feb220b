namespace Sluice.Segment.Destination;

/// <summary>
/// Hands out the memory of encoded events from shared 32 KB slabs instead of one array per event: a slab holds about a
/// hundred identify events, so a batch of 2,500 is some 25 objects for the garbage collector to trace while it waits
/// for Segment's answer, not 2,500. A slab lives as long as any event cut from it; events are cut in order, so a slab
/// is freed with the batches it served. Not thread-safe: one per encoder.
/// </summary>
/// <remarks>
/// Slabs are not pooled: the destination does not learn when the engine is done with a record (a dead letter keeps
/// its payload), so a slab is never reused, only left to the collector. 32 KB stays below the large-object heap's 85 KB.
/// </remarks>
internal sealed class PayloadSlab
{
    /// <summary>Bytes per slab.</summary>
    public const int SlabBytes = 32 * 1024;

    // An event larger than this gets an array of its own: cutting it from a slab would waste the slab's rest.
    private const int LargestShared = SlabBytes / 8;

    private byte[] _slab = [];
    private int _used;

    /// <summary>Memory for one event of <paramref name="length"/> bytes, not shared with any other event.</summary>
    public Memory<byte> Take(int length)
    {
        if (length > LargestShared)
        {
            return new byte[length];
        }

        if (_slab.Length - _used < length)
        {
            _slab = new byte[SlabBytes];
            _used = 0;
        }

        var memory = _slab.AsMemory(_used, length);
        _used += length;
        return memory;
    }
}
