using System.Text.Json;

namespace Sluice.Salesforce.Source;

/// <summary>
/// The versions of records a sync handed on whose <c>SystemModstamp</c> (or, for a record only getDeleted reported, its
/// deleted date) is still inside the lookback window: each record's id with the stamp of the version handed on and
/// whether it was a delete. A poll reads the window again and hands on only what is not here — a record committed late
/// with an older stamp — so nothing is missed and nothing is sent twice. Kept in the checkpoint, so it moves with the
/// destination's acknowledgement; entries below the window's floor are dropped when it is written.
/// </summary>
/// <remarks>
/// Positions hold the window and the sequence number of the entry they follow; a checkpoint written for an older position
/// (the commit stage runs behind the read) takes only the entries up to its own. Thread-safe: the read adds while the
/// commit stage writes checkpoints.
/// </remarks>
internal sealed class DeliveredWindow
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private long _sequence;

    public DeliveredWindow(IEnumerable<DeliveredVersion> stored)
    {
        foreach (var version in stored)
        {
            _entries[version.Id] = new Entry(version.StampMs, version.Deleted, 0, Loaded: false);
        }
    }

    /// <summary>The sequence number of the newest entry (0: only what the checkpoint held).</summary>
    public long Sequence
    {
        get
        {
            lock (_lock)
            {
                return _sequence;
            }
        }
    }

    /// <summary>
    /// Whether this version was handed on already: an upsert with the same stamp, or a delete of a record whose last
    /// version handed on was a delete (getDeleted and queryAll report the same delete).
    /// </summary>
    public bool Delivered(string id, long stampMs, bool deleted)
    {
        lock (_lock)
        {
            return _entries.TryGetValue(id, out var entry) && (deleted ? entry.Deleted : !entry.Deleted && entry.StampMs == stampMs);
        }
    }

    /// <summary>
    /// Records a version handed on; answers the sequence number a position after it carries. <paramref name="loaded"/>:
    /// a row of the initial load's job, which a checkpoint inside the load leaves out (<see cref="WriteTo"/>).
    /// </summary>
    public long Add(string id, long stampMs, bool deleted, bool loaded = false)
    {
        lock (_lock)
        {
            _entries[id] = new Entry(stampMs, deleted, ++_sequence, loaded);
            return _sequence;
        }
    }

    /// <summary>Records a row of the load's job handed on before a stop, read back from the job when the load resumes.</summary>
    public void Remember(string id, long stampMs)
    {
        lock (_lock)
        {
            _entries[id] = new Entry(stampMs, Deleted: false, 0, Loaded: true);
        }
    }

    /// <summary>
    /// Writes the entries up to <paramref name="sequence"/> whose stamp is after <paramref name="floorMs"/> (all when
    /// null), and the deletes after <paramref name="deletesFloorMs"/> (where getDeleted reads again from), each as
    /// <c>[id, stamp ms, 1 when a delete]</c>. Straight into the checkpoint's JSON: a window can hold every record a load
    /// read, and a checkpoint is written for every batch. Without <paramref name="loaded"/> the load's rows are left out:
    /// a checkpoint inside the load names its job, and a resumed load reads them back from there.
    /// </summary>
    public void WriteTo(Utf8JsonWriter writer, long sequence, long? floorMs, long? deletesFloorMs = null, bool loaded = true)
    {
        lock (_lock)
        {
            foreach (var (id, entry) in _entries)
            {
                var above = floorMs is not { } floor || entry.StampMs > floor;
                var deleteAbove = entry.Deleted && deletesFloorMs is { } deletesFloor && entry.StampMs > deletesFloor;
                if (entry.Sequence <= sequence && (above || deleteAbove) && (loaded || !entry.Loaded))
                {
                    writer.WriteStartArray();
                    writer.WriteStringValue(id);
                    writer.WriteNumberValue(entry.StampMs);
                    writer.WriteNumberValue(entry.Deleted ? 1 : 0);
                    writer.WriteEndArray();
                }
            }
        }
    }

    private readonly record struct Entry(long StampMs, bool Deleted, long Sequence, bool Loaded);
}
