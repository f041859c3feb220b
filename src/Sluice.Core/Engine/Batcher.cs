using Sluice.Core.Connectors;

namespace Sluice.Core.Engine;

/// <summary>
/// Fills batches up to the destination's limits: a record count and a byte size, where each record
/// costs its payload (<see cref="EncodedRecord.Size"/>) plus one separator byte.
/// </summary>
public sealed class Batcher(int maxRecords, int maxBytes)
{
    private List<EncodedRecord> _records = new(Math.Min(maxRecords, 4096));
    private int _bytes;

    public int MaxRecords { get; } = maxRecords;

    public int MaxBytes { get; } = maxBytes;

    public int Count => _records.Count;

    public int Bytes => _bytes;

    /// <summary>Whether <paramref name="record"/> fits in the current batch; a record never fits a full one.</summary>
    public bool Fits(EncodedRecord record) =>
        _records.Count < MaxRecords && _bytes + record.Size + 1 <= MaxBytes;

    public void Add(EncodedRecord record)
    {
        _records.Add(record);
        _bytes += record.Size + 1;
    }

    /// <summary>Hands over the current batch and starts an empty one.</summary>
    public List<EncodedRecord> Take()
    {
        var batch = _records;
        _records = new List<EncodedRecord>(Math.Min(MaxRecords, Math.Max(16, batch.Count)));
        _bytes = 0;
        return batch;
    }
}
