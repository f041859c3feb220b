using Sluice.Core.Connectors;
using Sluice.Core.Records;
using Sluice.Core.State;

namespace Sluice.Core.Engine;

public sealed partial class SyncRunner
{
    private sealed partial class Run
    {
        /// <summary>
        /// Whether the sync gives each record the id the destination already knows it by before sending: a destination that
        /// remembers records (it updates by the id it gave), one that can match records itself, or a sync that writes ids back.
        /// </summary>
        private bool KnowsDestinationIds =>
            sync.Destination.RemembersRecords || sync.Destination is IRecordMatching || sync.WriteBack is not null;

        /// <summary>
        /// Before a batch is processed and sent, with one ledger query and at most one destination lookup for the whole batch:
        /// <list type="bullet">
        /// <item>a record the ledger says was sent with the very values it has now (the same fingerprint) is not sent again —
        /// this is what keeps a write-back from coming back as a change: the write-back's UPDATE (and a trigger bumping
        /// <c>updated_at</c>) moves a cursor and arrives through CDC, but touches no column the mapping reads;</item>
        /// <item>every other record carries the id the ledger knows (<see cref="EncodedRecord.KnownDestinationId"/>), so the
        /// destination updates it by id; the destination's own lookup (<see cref="IRecordMatching"/>) is asked for the rest.</item>
        /// </list>
        /// A full run (<c>sluice sync --full</c>) sends every record again, as asked. A first load's first batch
        /// (<see cref="_ledgerEmptyAtStart"/>) does not ask the ledger: it holds nothing yet.
        /// </summary>
        private async Task IdentifyAsync(OutgoingBatch batch, CancellationToken ct) =>
            await IdentifyAsync(batch.Records, ct, ledgerEmpty: batch.Sequence == 0 && _ledgerEmptyAtStart);

        /// <inheritdoc cref="IdentifyAsync(OutgoingBatch, CancellationToken)"/>
        private async Task IdentifyAsync(List<EncodedRecord> records, CancellationToken ct, bool ledgerEmpty = false)
        {
            var known = ledgerEmpty
                ? new Dictionary<string, RecordState>()
                : await lease.RecordLookup.FindAsync(records.Select(r => r.Change.Key).ToHashSet(StringComparer.Ordinal), ct);
            var kept = new List<EncodedRecord>(records.Count);
            var unmatched = new List<EncodedRecord>();
            foreach (var record in records)
            {
                var change = record.Change;
                if (known.TryGetValue(change.Key, out var entry))
                {
                    if (kind != RunKind.Full && Unchanged(change, entry))
                    {
                        continue;
                    }

                    record.KnownDestinationId ??= entry.DestinationId;
                }

                if (record.KnownDestinationId is null && change.Operation != ChangeOperation.Delete)
                {
                    unmatched.Add(record);
                }

                kept.Add(record);
            }

            if (unmatched.Count > 0 && sync.Destination is IRecordMatching matching)
            {
                var found = await matching.MatchAsync(unmatched, ct);
                if (found.Count != unmatched.Count)
                {
                    throw new InvalidOperationException($"{sync.Destination.Description} matched {found.Count} of {unmatched.Count} records; it must answer for each");
                }

                for (var i = 0; i < unmatched.Count; i++)
                {
                    unmatched[i].KnownDestinationId = found[i];
                }
            }

            if (kept.Count != records.Count)
            {
                records.Clear();
                records.AddRange(kept);
            }
        }

        /// <summary>Whether the ledger says <paramref name="change"/> was sent with the values it has now.</summary>
        private static bool Unchanged(Change change, RecordState entry) =>
            change.Operation != ChangeOperation.Delete && entry.Status == RecordStatus.Sent
            && change.Fingerprint is { } now && entry.Fingerprint is { } sent && now.AsSpan().SequenceEqual(sent);
    }
}
