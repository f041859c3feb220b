using System.Runtime.CompilerServices;
using Sluice.Core.Connectors;
using Sluice.Core.Records;
using Sluice.Core.State;

namespace Sluice.Core.Engine.Diffing;

/// <summary>
/// The diff of a source with a change signal (<see cref="IKeySignalRead"/>): its keys, in <see cref="RecordKeyOrder"/>, are
/// merged with the stored records as <see cref="SortedDiff"/> merges whole rows, and a whole row is fetched and
/// fingerprinted only when the source does not vouch for it or the sync stored nothing for its key. A key the source
/// vouches for and the sync stored is the version its last complete read handled, whose fingerprint is stored: skipped.
/// A stored key the source no longer returns is deleted, found by the key scan alone.
/// </summary>
/// <remarks>
/// Work is kept a page at a time: the keys to fetch and the deletes between them, handed on in key order once the page's
/// rows are fetched in one request. Memory holds one page whatever the size of the source.
/// </remarks>
internal static class SignalDiff
{
    /// <summary>Keys to fetch (or deletes) per page: one fetch request per page.</summary>
    internal const int PageSize = 2000;

    public static async IAsyncEnumerable<Change> ReadAsync(IKeySignalRead read, RecordDiff diff, IRecordStateReader? states, [EnumeratorCancellation] CancellationToken ct)
    {
        var page = new Page(read, diff);
        await using var keys = read.KeysAsync(ct).GetAsyncEnumerator(ct);
        if (!await keys.MoveNextAsync())
        {
            await foreach (var gone in Stored(states, ct))
            {
                yield return diff.Deleted(gone);
            }

            yield break;
        }

        // As in SortedDiff: the stored records are read once the source's sorted key scan has started.
        await using var stored = Stored(states, ct).GetAsyncEnumerator(ct);
        var pending = await stored.MoveNextAsync() ? stored.Current : (RecordState?)null;
        string? previous = null;
        do
        {
            var signal = keys.Current;
            var key = signal.Key;
            diff.EnsureAfter(previous, key);

            previous = key;
            while (pending is { } gone && RecordKeyOrder.Instance.Compare(gone.Key, key) < 0)
            {
                page.Delete(gone);
                pending = await stored.MoveNextAsync() ? stored.Current : null;
            }

            RecordState? before = null;
            if (pending is { } known && known.Key == key)
            {
                before = known;
                pending = await stored.MoveNextAsync() ? stored.Current : null;
            }

            // Only a key the sync stored can be vouched for: with nothing stored, the row is added (or was never handled).
            if (!signal.Unchanged || before is null)
            {
                page.Fetch(signal, before);
            }

            if (page.IsFull)
            {
                await foreach (var change in page.FlushAsync(ct))
                {
                    yield return change;
                }
            }
        }
        while (await keys.MoveNextAsync());

        while (pending is { } gone)
        {
            page.Delete(gone);
            pending = await stored.MoveNextAsync() ? stored.Current : null;
            if (page.IsFull)
            {
                await foreach (var change in page.FlushAsync(ct))
                {
                    yield return change;
                }
            }
        }

        await foreach (var change in page.FlushAsync(ct))
        {
            yield return change;
        }
    }

    private static IAsyncEnumerable<RecordState> Stored(IRecordStateReader? states, CancellationToken ct) => states?.ReadAsync(ct) ?? None();

    private static async IAsyncEnumerable<RecordState> None()
    {
        await Task.CompletedTask;
        yield break;
    }

    /// <summary>Keys to fetch and deletes, in key order, handed on together once the keys' rows are fetched.</summary>
    private sealed class Page(IKeySignalRead read, RecordDiff diff)
    {
        private readonly List<(KeySignal? Fetch, RecordState? Stored)> _entries = new(PageSize);
        private readonly List<KeySignal> _fetch = new(PageSize);

        public bool IsFull => _entries.Count >= PageSize;

        public void Fetch(KeySignal signal, RecordState? stored)
        {
            _entries.Add((signal, stored));
            _fetch.Add(signal);
        }

        public void Delete(RecordState gone) => _entries.Add((null, gone));

        public async IAsyncEnumerable<Change> FlushAsync([EnumeratorCancellation] CancellationToken ct)
        {
            if (_entries.Count == 0)
            {
                yield break;
            }

            await using var rows = (_fetch.Count == 0 ? Empty() : read.FetchAsync(_fetch, ct)).GetAsyncEnumerator(ct);
            foreach (var (fetch, stored) in _entries)
            {
                if (fetch is not { } signal)
                {
                    yield return diff.Deleted(stored!.Value);
                    continue;
                }

                if (!await rows.MoveNextAsync() || rows.Current.Key != signal.Key)
                {
                    throw new InvalidOperationException($"{diff.Description} did not return the row of key '{signal.Key}' its key scan found, in the same snapshot");
                }

                if (diff.Compare(rows.Current, stored) is { } change)
                {
                    yield return change;
                }
            }

            _entries.Clear();
            _fetch.Clear();
        }

        private static async IAsyncEnumerable<Change> Empty()
        {
            await Task.CompletedTask;
            yield break;
        }
    }
}
