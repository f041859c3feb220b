using Sluice.Core.Connectors;
using Sluice.Core.Records;
using Sluice.Core.State;

namespace Sluice.Core.Engine;

/// <summary>
/// A batch on its way through the pipeline: what to send, what was refused before sending, the fingerprints
/// of records handled without sending (a diffing source), and where the source stands after it.
/// </summary>
internal sealed class OutgoingBatch(long sequence, List<EncodedRecord> records, List<DeadLetter> refusedBeforeSending, List<RecordState> recordStates, SourcePosition lastPosition, int recordsRead)
{
    public long Sequence { get; } = sequence;

    public List<EncodedRecord> Records { get; } = records;

    public List<DeadLetter> DeadLetters { get; } = refusedBeforeSending;

    /// <summary>Fingerprints to store (or forget) when the batch commits; acknowledged records join them as they settle.</summary>
    public List<RecordState> RecordStates { get; } = recordStates;

    public SourcePosition LastPosition { get; } = lastPosition;

    public int RecordsRead { get; } = recordsRead;

    public List<LedgerEntry> Sent { get; } = new(records.Count);

    /// <summary>What two-way pairs store for the batch's handled records (<see cref="BatchCommit.Paired"/>).</summary>
    public List<PairedRecord> Paired { get; } = [];

    /// <summary>When the batch was cut (<see cref="System.Diagnostics.Stopwatch"/> ticks): its latency metric is real time, whatever clock the run waits on.</summary>
    public long CutAt { get; } = System.Diagnostics.Stopwatch.GetTimestamp();

    /// <summary>The transaction on the state database the destination wrote the batch in, for its commit; null when it wrote in its own.</summary>
    public SharedTransaction? Transaction { get; set; }

    /// <summary>The destination's early view of the batch (<see cref="IEarlyBatchWrites"/>), disposed once the batch was delivered.</summary>
    public IEarlyBatch? Early { get; init; }

    /// <summary>The batch's span, from being sent to being committed; null when nothing listens.</summary>
    public System.Diagnostics.Activity? Span { get; set; }
}
