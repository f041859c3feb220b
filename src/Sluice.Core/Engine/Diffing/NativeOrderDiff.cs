using System.Runtime.CompilerServices;
using Sluice.Core.Connectors;
using Sluice.Core.Records;
using Sluice.Core.State;

namespace Sluice.Core.Engine.Diffing;

/// <summary>
/// The diff of a source with a change signal whose keys are integers or uuids (<see cref="IKeySignalRead.NativeKeys"/>):
/// the stored keys are held in memory as values, sorted once here (<see cref="StoredKeySet{TKey, TCodec}"/>), and the
/// source's keys come in its own order, unsorted, each looked up in them. What is fetched, skipped and compared is what
/// <see cref="SignalDiff"/> decides; only the order differs: records in the source's order, then the deleted ones.
/// </summary>
/// <remarks>
/// Why: a merge by key text needs the source to sort every key by its text (<c>ORDER BY key::text COLLATE "C"</c>),
/// which halves PostgreSQL's read rate; sorting the stored keys as numbers here costs a fraction of that. The stored
/// records of the keys to fetch, and of the deleted ones, are looked up a page at a time
/// (<see cref="IRecordStateReader.FindAsync"/>). Deletes are handed on only once the source's key scan has ended well.
/// Memory: the stored keys (8 or 16 bytes and a bit each) up to <see cref="MaxStoredKeyBytes"/>, and one page; a sync
/// with more, or with a stored key that is not a canonical integer or uuid text, is merged by text as before.
/// </remarks>
internal static class NativeOrderDiff
{
    /// <summary>The most memory the stored keys may take: 20 million integer keys, 10 million uuids.</summary>
    internal const long MaxStoredKeyBytes = 160L * 1024 * 1024;

    /// <summary>Keys to fetch (or deletes) per page: one fetch request and one look-up of stored records per page.</summary>
    internal const int PageSize = 2000;

    /// <summary>
    /// The diff of <paramref name="read"/> by its native keys, or <c>null</c> when it has none or the stored keys cannot be
    /// held (then nothing was read from the source, and the caller merges by text).
    /// </summary>
    public static Task<IAsyncEnumerable<Change>?> TryOpenAsync(IKeySignalRead read, RecordDiff diff, IRecordStateReader? states, CancellationToken ct) =>
        read.NativeKeys switch
        {
            NativeKeyType.Integer => Of<long, IntegerKeyCodec>.TryOpenAsync(read, diff, states, ct),
            NativeKeyType.Uuid => Of<UInt128, UuidKeyCodec>.TryOpenAsync(read, diff, states, ct),
            _ => Task.FromResult<IAsyncEnumerable<Change>?>(null),
        };

    private static class Of<TKey, TCodec>
        where TKey : unmanaged, IComparable<TKey>, IEquatable<TKey>
        where TCodec : struct, INativeKeyCodec<TKey>
    {
        public static async Task<IAsyncEnumerable<Change>?> TryOpenAsync(IKeySignalRead read, RecordDiff diff, IRecordStateReader? states, CancellationToken ct)
        {
            var stored = await StoredKeySet<TKey, TCodec>.LoadAsync(states, MaxStoredKeyBytes / Unsafe.SizeOf<TKey>(), ct);
            return stored is null ? null : ReadAsync(read, diff, stored, states, ct);
        }

        private static async IAsyncEnumerable<Change> ReadAsync(IKeySignalRead read, RecordDiff diff, StoredKeySet<TKey, TCodec> stored, IRecordStateReader? states,
            [EnumeratorCancellation] CancellationToken ct)
        {
            var page = new Page(read, diff, states);
            await foreach (var signal in read.NativeKeysAsync(ct).WithCancellation(ct))
            {
                var key = TCodec.From(signal.Key);
                var index = stored.IndexOf(key);
                if (index >= 0 && !stored.MarkSeen(index))
                {
                    throw diff.Repeated(TCodec.Format(key));
                }

                // As in SignalDiff: only a key the sync stored can be vouched for.
                if (signal.Unchanged && index >= 0)
                {
                    continue;
                }

                page.Fetch(new KeySignal(TCodec.Format(key), Unchanged: false, signal.Handle), stored: index >= 0);
                if (page.IsFull)
                {
                    await foreach (var change in page.FlushAsync(ct))
                    {
                        yield return change;
                    }
                }
            }

            // The key scan has ended well: a stored key it never returned is a deleted record.
            foreach (var gone in stored.Unseen())
            {
                page.Delete(gone);
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
    }

    /// <summary>Keys to fetch and deletes, handed on together once the rows are fetched and the stored records looked up.</summary>
    private sealed class Page(IKeySignalRead read, RecordDiff diff, IRecordStateReader? states)
    {
        private readonly List<(KeySignal? Fetch, string Key, bool Stored)> _entries = new(PageSize);
        private readonly List<KeySignal> _fetch = new(PageSize);
        private readonly List<string> _lookUp = new(PageSize);

        public bool IsFull => _entries.Count >= PageSize;

        public void Fetch(KeySignal signal, bool stored)
        {
            _entries.Add((signal, signal.Key, stored));
            _fetch.Add(signal);
            if (stored)
            {
                _lookUp.Add(signal.Key);
            }
        }

        public void Delete(string key)
        {
            _entries.Add((null, key, true));
            _lookUp.Add(key);
        }

        public async IAsyncEnumerable<Change> FlushAsync([EnumeratorCancellation] CancellationToken ct)
        {
            if (_entries.Count == 0)
            {
                yield break;
            }

            var known = _lookUp.Count == 0 || states is null ? Nothing : await states.FindAsync(_lookUp, ct);
            await using var rows = (_fetch.Count == 0 ? Empty() : read.FetchAsync(_fetch, ct)).GetAsyncEnumerator(ct);
            foreach (var (fetch, key, _) in _entries)
            {
                if (fetch is null)
                {
                    // A stored record gone from the ledger since the keys were read has nothing left to delete.
                    if (known.TryGetValue(key, out var gone))
                    {
                        yield return diff.Deleted(gone);
                    }

                    continue;
                }

                if (!await rows.MoveNextAsync() || rows.Current.Key != key)
                {
                    throw new InvalidOperationException($"{diff.Description} did not return the row of key '{key}' its key scan found, in the same snapshot");
                }

                if (diff.Compare(rows.Current, known.TryGetValue(key, out var before) ? before : null) is { } change)
                {
                    yield return change;
                }
            }

            _entries.Clear();
            _fetch.Clear();
            _lookUp.Clear();
        }

        private static readonly IReadOnlyDictionary<string, RecordState> Nothing = new Dictionary<string, RecordState>();

        private static async IAsyncEnumerable<Change> Empty()
        {
            await Task.CompletedTask;
            yield break;
        }
    }
}
