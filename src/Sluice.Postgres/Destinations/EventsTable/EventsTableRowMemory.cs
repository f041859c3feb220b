using System.Buffers;
using System.Runtime.InteropServices;

namespace Sluice.Postgres.Destinations;

/// <summary>
/// An encoded row's stored bytes that also carry the row they were made from, so that the write of a batch encoded
/// in this process takes the row as is instead of parsing its JSON back, a second parse of every event. A dead letter
/// replayed from storage is a plain array and is parsed as before.
/// </summary>
internal sealed class EventsTableRowMemory(EventsTableRow row, byte[] json) : MemoryManager<byte>
{
    public EventsTableRow Row { get; } = row;

    /// <summary>The row behind <paramref name="payload"/> when this process encoded it; null for bytes from elsewhere.</summary>
    public static EventsTableRow? RowOf(ReadOnlyMemory<byte> payload) =>
        MemoryMarshal.TryGetMemoryManager<byte, EventsTableRowMemory>(payload, out var manager) ? manager.Row : null;

    public override Span<byte> GetSpan() => json;

    public override MemoryHandle Pin(int elementIndex = 0) => json.AsMemory(elementIndex).Pin();

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}
