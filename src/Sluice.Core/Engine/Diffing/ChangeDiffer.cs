using System.Runtime.CompilerServices;
using Sluice.Core.Connectors;
using Sluice.Core.Records;
using Sluice.Core.State;

namespace Sluice.Core.Engine.Diffing;

/// <summary>
/// Where the engine reads a source: a source that yields its own changes is read as it is; one that reads every
/// record and leaves finding what changed to the engine (<see cref="ISource.Diff"/>) is diffed here against the
/// fingerprints the sync stored (<see cref="ReadRequest.RecordStates"/>), so that only added, changed and deleted
/// records come out, with their <see cref="Change.Kind"/>, <see cref="Change.Fingerprint"/> and, for watched
/// columns, <see cref="Change.Previous"/>.
/// </summary>
/// <remarks>
/// Memory stays flat whatever the size of the source. Keys in <see cref="KeyOrder.Sorted"/> order are merged with the
/// stored records streamed in the same order: one of each in memory (<see cref="SortedDiff"/>). Keys in any order are
/// looked up a chunk at a time in the state database, which also keeps the keys seen, so that the deleted records are
/// found there once the read has ended (<see cref="UnsortedDiff"/>). A source with a change signal
/// (<see cref="SourceDiff.OpenSignalRead"/>) is merged by key alone and only the rows that may have changed are fetched
/// (<see cref="SignalDiff"/>), unsorted against the stored keys held in memory when the keys are integers or uuids
/// (<see cref="NativeOrderDiff"/>); without a signal it can trust for the request, it is read whole as before.
/// </remarks>
public static class ChangeDiffer
{
    /// <summary>The changes a run of <paramref name="source"/> from <paramref name="request"/> hands to the engine.</summary>
    /// <param name="lookup">
    /// The sync's ledger by key, for a diffed source that <see cref="ISource.Streams"/> (<see cref="StreamDiff"/>): its
    /// records are compared a chunk at a time, as they come, for as long as it streams.
    /// </param>
    /// <param name="begun">
    /// The source's read of <paramref name="request"/>, already begun by the engine (<see cref="ISource.ReadsEarly"/>): read
    /// instead of a new one. Only for a source that reads and ends, without a change signal.
    /// </param>
    public static IAsyncEnumerable<Change> ReadAsync(ISource source, ReadRequest request, CancellationToken ct, IRecordStateLookup? lookup = null, IAsyncEnumerable<Change>? begun = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(request);
        return source.Diff is { } diff ? DiffAsync(source, diff, request, lookup, begun, ct) : begun ?? source.ReadAsync(request, ct);
    }

    private static async IAsyncEnumerable<Change> DiffAsync(ISource source, SourceDiff diff, ReadRequest request, IRecordStateLookup? lookup, IAsyncEnumerable<Change>? begun,
        [EnumeratorCancellation] CancellationToken ct)
    {
        // The key columns, to give a deleted record its key back; a source resolves its schema once and keeps it.
        var schema = await source.DiscoverAsync(ct);
        using var records = new RecordDiff(source.Description, schema.KeyColumns, request, diff);
        if (source.Streams)
        {
            using var changed = new RecordDiff(source.Description, schema.KeyColumns, request, diff, full: false);
            await foreach (var change in StreamDiff.ReadAsync(source.ReadAsync(request, ct), records, changed, diff.IsPartial?.Invoke(request) != true, request.RecordStates, lookup, ct))
            {
                yield return change;
            }

            yield break;
        }

        if (diff.IsPartial?.Invoke(request) != true && diff.OpenSignalRead is { } open && await open(request, ct) is { } signal)
        {
            // The source can tell which rows may have changed since its last complete read: only those are fetched.
            await using (signal)
            {
                // Integer and uuid keys come unsorted and are looked up among the stored keys held as numbers; others sorted by text.
                var signalled = await NativeOrderDiff.TryOpenAsync(signal, records, request.RecordStates, ct)
                    ?? SignalDiff.ReadAsync(signal, records, request.RecordStates, ct);
                await foreach (var change in signalled)
                {
                    yield return change;
                }

                yield return signal.End;
            }

            yield break;
        }

        var progress = new HeldProgress();
        var read = progress.HoldAsync(begun ?? source.ReadAsync(request, ct), ct);
        // A partial read (only the records that may have changed) is looked up a chunk at a time and finds no deletes.
        var changes = diff.IsPartial?.Invoke(request) == true
            ? UnsortedDiff.ReadAsync(read, records, request.RecordStates, findDeletes: false, ct)
            : diff.Order == KeyOrder.Sorted
                ? SortedDiff.ReadAsync(read, records, request.RecordStates, ct)
                : UnsortedDiff.ReadAsync(read, records, request.RecordStates, findDeletes: true, ct);
        await foreach (var change in changes)
        {
            yield return change;
        }

        // The source's end of read goes last, after the deletes: its position is where the whole read ends.
        if (progress.Last is { } end)
        {
            yield return end;
        }
    }

    /// <summary>Takes the source's <see cref="Change.IsProgress"/> moves out of what is diffed, keeping the last.</summary>
    private sealed class HeldProgress
    {
        public Change? Last { get; private set; }

        public async IAsyncEnumerable<Change> HoldAsync(IAsyncEnumerable<Change> changes, [EnumeratorCancellation] CancellationToken ct)
        {
            await foreach (var change in changes.WithCancellation(ct))
            {
                if (change.IsProgress)
                {
                    Last = change;
                    continue;
                }

                yield return change;
            }
        }
    }
}
