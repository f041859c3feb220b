using System.Runtime.CompilerServices;
using Sluice.Core.Records;
using Sluice.Core.State;

namespace Sluice.Core.Engine.Diffing;

/// <summary>
/// The diff of a source that streams and leaves finding what changed to the engine (a model following its tables by
/// CDC): it may begin with a read of every record in key order, up to its first <see cref="Change.IsProgress"/> mark,
/// merged with the stored records as <see cref="SortedDiff"/> does (deletes found); after that it yields chunks of
/// records that may have changed, each closed by a progress mark, and each chunk's stored versions are looked up in one
/// query when its mark arrives. A record the source yields as a delete is handed on only when the sync stored it.
/// </summary>
/// <remarks>
/// A key may come back in a later chunk (a customer with two new orders a minute apart): each chunk is compared with the
/// ledger as committed when it is looked up, and nothing is remembered between chunks, so memory holds one chunk however
/// long the stream runs.
/// </remarks>
internal static class StreamDiff
{
    public static async IAsyncEnumerable<Change> ReadAsync(IAsyncEnumerable<Change> source, RecordDiff whole, RecordDiff changed, bool startsWhole,
        IRecordStateReader? states, IRecordStateLookup? lookup, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var changes = source.GetAsyncEnumerator(ct);
        if (startsWhole)
        {
            var end = new Mark();
            await foreach (var change in SortedDiff.ReadAsync(UntilProgressAsync(changes, end), whole, states, ct))
            {
                yield return change;
            }

            if (end.Progress is not { } progress)
            {
                yield break; // the stream ended within the read of every record
            }

            yield return progress;
        }

        var chunk = new List<Change>();
        while (await changes.MoveNextAsync())
        {
            var change = changes.Current;
            if (!change.IsProgress)
            {
                chunk.Add(change);
                continue;
            }

            if (chunk.Count > 0)
            {
                var stored = lookup is null
                    ? new Dictionary<string, RecordState>()
                    : await lookup.FindAsync(chunk.Select(c => c.Key).ToHashSet(StringComparer.Ordinal), ct);
                foreach (var record in chunk)
                {
                    RecordState? known = stored.TryGetValue(record.Key, out var found) ? found : null;
                    if (record.Operation == ChangeOperation.Delete)
                    {
                        if (known is { } gone)
                        {
                            yield return changed.Deleted(gone, record.Position);
                        }
                    }
                    else if (changed.Compare(record, known) is { } compared)
                    {
                        yield return compared;
                    }
                }

                chunk.Clear();
            }

            yield return change;
        }
    }

    /// <summary>The source's changes up to (not including) its first progress mark, which goes into <paramref name="end"/>.</summary>
    private static async IAsyncEnumerable<Change> UntilProgressAsync(IAsyncEnumerator<Change> changes, Mark end)
    {
        while (await changes.MoveNextAsync())
        {
            if (changes.Current.IsProgress)
            {
                end.Progress = changes.Current;
                yield break;
            }

            yield return changes.Current;
        }
    }

    private sealed class Mark
    {
        public Change? Progress { get; set; }
    }
}
