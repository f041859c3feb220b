namespace Sluice.Core.Connectors;

/// <summary>
/// A destination that can start sending a batch while the engine is still filling it: it is shown each record as the
/// record joins the batch, so a large batch's upload overlaps reading and encoding the source rather than following
/// them. What it does early never counts by itself: the batch still goes to <see cref="IDestination.WriteAsync"/>,
/// whose results alone the engine records (ledger, checkpoint), and a destination that finds the batch it is asked to
/// write differs from the records it was shown (records left out or identified on the way, a retry of a part) drops the
/// early work and sends the batch as it otherwise would.
/// </summary>
/// <remarks>
/// The engine offers early batches only where the records it shows are, as a rule, the records the batch will hold: a
/// source that reads and ends (not a stream, whose batches are cut by time), no processors, and a record ledger that
/// knows no destination id yet (a first load) when the sync looks ids up.
/// </remarks>
public interface IEarlyBatchWrites
{
    /// <summary>A new batch is being filled: the destination's handle for it, or null to be shown none of its records.</summary>
    IEarlyBatch? StartBatch(CancellationToken ct);
}
