using Sluice.Core.Connectors;

namespace Sluice.Core.Engine;

public sealed partial class SyncRunner
{
    private sealed partial class Run
    {
        /// <summary>The destination, when it is shown each batch's records as they join (<see cref="IEarlyBatchWrites"/>) in this run.</summary>
        private IEarlyBatchWrites? _early;

        /// <summary>
        /// Offers early batches when the records shown are, as a rule, the records each batch will hold by the time it is
        /// written: the source reads and ends (a stream's batches are cut by time, and an open upload would wait on it),
        /// no processor holds records back, and — when the sync looks destination ids up before sending — the ledger
        /// knows none yet (a first load), so identification leaves the batch as it was shown. Anything else the
        /// destination finds out itself when the batch reaches it, and sends the batch as usual.
        /// </summary>
        private async Task DecideEarlyBatchesAsync(CancellationToken ct)
        {
            if (sync.Destination is not IEarlyBatchWrites early || sync.Source.Streams || sync.Processors.Count > 0)
            {
                return;
            }

            if (KnowsDestinationIds && await lease.RecordLookup.AnyAsync(ct))
            {
                return;
            }

            _early = early;
        }
    }
}
