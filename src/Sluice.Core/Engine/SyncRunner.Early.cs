using Sluice.Core.Connectors;

namespace Sluice.Core.Engine;

public sealed partial class SyncRunner
{
    private sealed partial class Run
    {
        /// <summary>The destination, when it is shown each batch's records as they join (<see cref="IEarlyBatchWrites"/>) in this run.</summary>
        private IEarlyBatchWrites? _early;

        /// <summary>
        /// The sync's record ledger held no entry when the run's batches started (asked only where identification looks
        /// keys up): a first load. Its first batch is identified without asking the ledger — nothing of this run is
        /// committed before that batch is sent, so the answer could only be empty — which takes a 100,000-key query off the
        /// path between the last record read and the batch's write.
        /// </summary>
        private bool _ledgerEmptyAtStart;

        /// <summary>
        /// Offers early batches when the records shown are, as a rule, the records each batch will hold by the time it is
        /// written: the source reads and ends (a stream's batches are cut by time, and an open upload would wait on it),
        /// no processor holds records back, and — when the sync looks destination ids up before sending — the ledger
        /// knows none yet (a first load), so identification leaves the batch as it was shown. Anything else the
        /// destination finds out itself when the batch reaches it, and sends the batch as usual.
        /// </summary>
        private async Task DecideEarlyBatchesAsync(CancellationToken ct)
        {
            _ledgerEmptyAtStart = KnowsDestinationIds && !await lease.RecordLookup.AnyAsync(ct);
            if (sync.Destination is not IEarlyBatchWrites early || sync.Source.Streams || sync.Processors.Count > 0)
            {
                return;
            }

            if (KnowsDestinationIds && !_ledgerEmptyAtStart)
            {
                return;
            }

            _early = early;
        }
    }
}
