using System.Runtime.CompilerServices;
using Sluice.Core.Records;
using Sluice.Core.State;

namespace Sluice.Core.Engine.Diffing;

/// <summary>
/// The diff of a source that yields keys in <see cref="RecordKeyOrder"/>: a merge join with the stored records,
/// streamed in the same order (off their primary key), so memory holds one record of each whatever the size. A stored
/// key that sorts before the source's next one is no longer returned: deleted.
/// </summary>
internal static class SortedDiff
{
    public static async IAsyncEnumerable<Change> ReadAsync(IAsyncEnumerable<Change> records, RecordDiff diff, IRecordStateReader? states, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var source = records.GetAsyncEnumerator(ct);
        if (!await source.MoveNextAsync())
        {
            // Nothing returned: every stored record is deleted.
            await foreach (var gone in Stored(states, ct))
            {
                yield return diff.Deleted(gone);
            }

            yield break;
        }

        // The stored records are read once the source has returned its first record (a sorting query's wait is over):
        // a snapshot, so the run's own commits, which only touch keys the merge has passed, do not disturb it.
        await using var stored = Stored(states, ct).GetAsyncEnumerator(ct);
        var pending = await stored.MoveNextAsync() ? stored.Current : (RecordState?)null;
        string? previous = null;
        do
        {
            var record = source.Current;
            var key = record.Key;
            diff.EnsureAfter(previous, key);

            previous = key;

            // Stored keys that sort before this record's are no longer returned: deleted.
            while (pending is { } gone && RecordKeyOrder.Instance.Compare(gone.Key, key) < 0)
            {
                yield return diff.Deleted(gone);
                pending = await stored.MoveNextAsync() ? stored.Current : null;
            }

            RecordState? before = null;
            if (pending is { } known && known.Key == key)
            {
                before = known;
                pending = await stored.MoveNextAsync() ? stored.Current : null;
            }

            if (diff.Compare(record, before) is { } change)
            {
                yield return change;
            }
        }
        while (await source.MoveNextAsync());

        while (pending is { } gone)
        {
            yield return diff.Deleted(gone);
            pending = await stored.MoveNextAsync() ? stored.Current : null;
        }
    }

    private static IAsyncEnumerable<RecordState> Stored(IRecordStateReader? states, CancellationToken ct) => states?.ReadAsync(ct) ?? None();

    private static async IAsyncEnumerable<RecordState> None()
    {
        await Task.CompletedTask;
        yield break;
    }
}
