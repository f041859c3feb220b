using System.Runtime.CompilerServices;
using Sluice.Core.Records;

namespace Sluice.Core.Engine.Diffing;

/// <summary>
/// Gives the changes of a source that reports its own changes (a cursor, CDC) the fingerprint of the values the mapping
/// reads, as a diffing source's changes have, so that the ledger can tell a record that really changed from one that
/// only came round again: a write-back's UPDATE, or a trigger that bumps <c>updated_at</c> on every UPDATE, moves the row
/// past the cursor and into the replication stream without changing anything the sync sends.
/// </summary>
internal static class ChangeFingerprints
{
    public static async IAsyncEnumerable<Change> AddAsync(IAsyncEnumerable<Change> changes, IReadOnlyList<string> columns, [EnumeratorCancellation] CancellationToken ct)
    {
        using var fingerprint = new RecordFingerprint(columns);
        await foreach (var change in changes.WithCancellation(ct))
        {
            if (change.Fingerprint is not null || change.Operation == ChangeOperation.Delete || change.IsProgress)
            {
                yield return change;
                continue;
            }

            fingerprint.Compute(change.Values);
            yield return change.WithFingerprint(fingerprint.ToArray());
        }
    }
}
