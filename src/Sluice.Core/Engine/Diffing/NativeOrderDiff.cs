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
/// (<see cref="IRecordStateReader.FindAsync"/>) while the page's rows are fetched. Deletes are handed on only once the
/// source's key scan has ended well.
/// The stored keys load from the state store while the source's key scan starts on its own database: the source's first
/// keys, up to <see cref="MaxKeysAhead"/>, wait in memory until every stored key is there to be looked up in, so that
/// neither database waits for the other.
/// Memory: the stored keys (8 or 16 bytes and a bit each) up to <see cref="MaxStoredKeyBytes"/>, the keys read ahead,
/// and one page. A sync with more stored keys, or with a stored key that is not a canonical integer or uuid text, is
/// merged by text as before: the source's unsorted key scan is left unfinished and its keys read again, sorted.
/// </remarks>
internal static class NativeOrderDiff
{
    /// <summary>The most memory the stored keys may take: 20 million integer keys, 10 million uuids.</summary>
    internal const long MaxStoredKeyBytes = 160L * 1024 * 1024;

    /// <summary>Keys to fetch (or deletes) per page: one fetch request and one look-up of stored records per page.</summary>
    internal const int PageSize = 2000;

    /// <summary>
    /// The most source keys read ahead while the stored keys load: 16 MB of <see cref="NativeKeySignal"/>s, more than a
    /// source reads while a million stored keys load.
    /// </summary>
    internal const int MaxKeysAhead = 1 << 19;

    /// <summary>
    /// The diff of <paramref name="read"/> by its native keys, or <c>null</c> when it has none or the stored keys cannot be
    /// held: then the caller merges by text (<see cref="IKeySignalRead.KeysAsync"/>), and the unsorted key scan, if it
    /// had started, is left unfinished.
    /// </summary>
    public static Task<IAsyncEnumerable<Change>?> TryOpenAsync(IKeySignalRead read, RecordDiff diff, IRecordStateReader? states, CancellationToken ct) =>
        TryOpenAsync(read, diff, states, MaxKeysAhead, ct);

    /// <inheritdoc cref="TryOpenAsync(IKeySignalRead, RecordDiff, IRecordStateReader?, CancellationToken)"/>
    internal static Task<IAsyncEnumerable<Change>?> TryOpenAsync(IKeySignalRead read, RecordDiff diff, IRecordStateReader? states, int maxKeysAhead, CancellationToken ct) =>
        read.NativeKeys switch
        {
            NativeKeyType.Integer => Of<long, IntegerKeyCodec>.TryOpenAsync(read, diff, states, maxKeysAhead, ct),
            NativeKeyType.Uuid => Of<UInt128, UuidKeyCodec>.TryOpenAsync(read, diff, states, maxKeysAhead, ct),
            _ => Task.FromResult<IAsyncEnumerable<Change>?>(null),
        };

    private static class Of<TKey, TCodec>
        where TKey : unmanaged, IComparable<TKey>, IEquatable<TKey>
        where TCodec : struct, INativeKeyCodec<TKey>
    {
        public static async Task<IAsyncEnumerable<Change>?> TryOpenAsync(IKeySignalRead read, RecordDiff diff, IRecordStateReader? states, int maxKeysAhead, CancellationToken ct)
        {
            using var stopLoad = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var loading = StoredKeySet<TKey, TCodec>.LoadAsync(states, MaxStoredKeyBytes / Unsafe.SizeOf<TKey>(), stopLoad.Token);
            var keys = read.NativeKeysAsync(ct).GetAsyncEnumerator(ct);
            var ahead = new List<NativeKeySignal>();
            var more = true;
            StoredKeySet<TKey, TCodec>? stored;
            try
            {
                // The source's keys wait here while the stored keys are still loading: both databases work at once.
                while (!loading.IsCompleted && ahead.Count < maxKeysAhead && (more = await keys.MoveNextAsync()))
                {
                    ahead.Add(keys.Current);
                }

                stored = await loading;
            }
            catch
            {
                await stopLoad.CancelAsync();
                await ObserveAsync(loading);
                await keys.DisposeAsync();
                throw;
            }

            if (stored is null)
            {
                await keys.DisposeAsync();
                return null;
            }

            return ReadAsync(read, diff, stored, states, ahead, more ? keys : null, ct);
        }

        /// <param name="ahead">The source's keys read while the stored keys loaded, first.</param>
        /// <param name="rest">Then the rest of the source's keys; <c>null</c> when the source ended among those read ahead.</param>
        private static async IAsyncEnumerable<Change> ReadAsync(IKeySignalRead read, RecordDiff diff, StoredKeySet<TKey, TCodec> stored, IRecordStateReader? states,
            List<NativeKeySignal> ahead, IAsyncEnumerator<NativeKeySignal>? rest, [EnumeratorCancellation] CancellationToken ct)
        {
            var pages = new Pipeline(read, diff, states);
            try
            {
                foreach (var signal in ahead)
                {
                    if (Look(signal, stored, diff, pages.Filling))
                    {
                        foreach (var change in await pages.HandOverAsync(ct))
                        {
                            yield return change;
                        }
                    }
                }

                ahead.Clear();
                ahead.TrimExcess();
                while (rest is not null && await rest.MoveNextAsync())
                {
                    if (Look(rest.Current, stored, diff, pages.Filling))
                    {
                        foreach (var change in await pages.HandOverAsync(ct))
                        {
                            yield return change;
                        }
                    }
                }

                if (rest is not null)
                {
                    await rest.DisposeAsync();
                    rest = null;
                }

                // The key scan has ended well: a stored key it never returned is a deleted record.
                foreach (var gone in stored.Unseen())
                {
                    pages.Filling.Delete(gone);
                    if (pages.Filling.IsFull)
                    {
                        foreach (var change in await pages.HandOverAsync(ct))
                        {
                            yield return change;
                        }
                    }
                }

                foreach (var change in await pages.HandOverAsync(ct))
                {
                    yield return change;
                }

                foreach (var change in await pages.HandOverAsync(ct))
                {
                    yield return change;
                }
            }
            finally
            {
                // A run stopped part way: the page still being fetched must be done with the source's connection first.
                await pages.StopAsync();
                if (rest is not null)
                {
                    await rest.DisposeAsync();
                }
            }
        }

        /// <summary>Looks one source key up among the stored keys and adds it to the page when its row is to be fetched; true when the page is full.</summary>
        private static bool Look(NativeKeySignal signal, StoredKeySet<TKey, TCodec> stored, RecordDiff diff, Page page)
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
                return false;
            }

            page.Fetch(new KeySignal(TCodec.Format(key), Unchanged: false, signal.Handle), stored: index >= 0);
            return page.IsFull;
        }
    }

    /// <summary>
    /// Waits for a task whose outcome no longer matters (a load stopped because the source's read failed), so that it
    /// holds no connection past the read and its failure is not left unobserved; the source's failure is the one reported.
    /// </summary>
    private static async Task ObserveAsync(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception)
        {
            // Deliberately dropped: see the summary.
        }
    }

    /// <summary>
    /// Two pages: one filling from the key scan, one whose stored records and rows are being looked up and fetched
    /// meanwhile. A full page is handed over: the previous one's preparation is awaited (the source's connection is
    /// then free), this one's starts, and the previous one's changes come out while it runs and the scan goes on.
    /// </summary>
    private sealed class Pipeline(IKeySignalRead read, RecordDiff diff, IRecordStateReader? states)
    {
        private readonly Page _spare = new(read, diff, states);
        private Page? _prepared;
        private Task? _preparing;

        public Page Filling { get; private set; } = new(read, diff, states);

        /// <summary>Hands the filling page over (an empty one is not started); returns the previous page's changes.</summary>
        public async Task<List<Change>> HandOverAsync(CancellationToken ct)
        {
            var previous = _prepared;
            if (_preparing is { } preparing)
            {
                _preparing = null;
                await preparing;
            }

            _prepared = null;
            var next = Filling;
            if (!Filling.IsEmpty)
            {
                _prepared = Filling;
                _preparing = Filling.PrepareAsync(ct);
                next = previous ?? _spare;
            }

            var changes = previous is null ? [] : previous.Compare();
            Filling = next;
            return changes;
        }

        /// <summary>Waits for a page still being prepared, whatever it ends with: the read is over, its failure reported elsewhere.</summary>
        public async Task StopAsync()
        {
            if (_preparing is { } preparing)
            {
                _preparing = null;
                await ObserveAsync(preparing);
            }
        }
    }

    /// <summary>Keys to fetch and deletes, handed on together once the rows are fetched and the stored records looked up.</summary>
    private sealed class Page(IKeySignalRead read, RecordDiff diff, IRecordStateReader? states)
    {
        private readonly List<(KeySignal? Fetch, string Key, bool Stored)> _entries = new(PageSize);
        private readonly List<KeySignal> _fetch = new(PageSize);
        private readonly List<string> _lookUp = new(PageSize);
        private IReadOnlyDictionary<string, RecordState> _known = Nothing;
        private List<Change> _rows = [];

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

        public bool IsEmpty => _entries.Count == 0;

        /// <summary>The page's stored records (state store) and rows (source), looked up and fetched at once.</summary>
        public async Task PrepareAsync(CancellationToken ct)
        {
            var finding = _lookUp.Count == 0 || states is null ? Task.FromResult(Nothing) : states.FindAsync(_lookUp, ct);
            var fetching = FetchAsync(ct);
            await Task.WhenAll(finding, fetching);
            _known = await finding;
            _rows = await fetching;
        }

        /// <summary>The page's changes once <see cref="PrepareAsync"/> has run, in its order; then the page is empty again.</summary>
        public List<Change> Compare()
        {
            var changes = new List<Change>();
            using var rows = _rows.GetEnumerator();
            foreach (var (fetch, key, _) in _entries)
            {
                if (fetch is null)
                {
                    // A stored record gone from the ledger since the keys were read has nothing left to delete.
                    if (_known.TryGetValue(key, out var gone))
                    {
                        changes.Add(diff.Deleted(gone));
                    }

                    continue;
                }

                if (!rows.MoveNext() || rows.Current.Key != key)
                {
                    throw new InvalidOperationException($"{diff.Description} did not return the row of key '{key}' its key scan found, in the same snapshot");
                }

                if (diff.Compare(rows.Current, _known.TryGetValue(key, out var before) ? before : null) is { } change)
                {
                    changes.Add(change);
                }
            }

            _entries.Clear();
            _fetch.Clear();
            _lookUp.Clear();
            _known = Nothing;
            _rows = [];
            return changes;
        }

        private static readonly IReadOnlyDictionary<string, RecordState> Nothing = new Dictionary<string, RecordState>();

        /// <summary>The page's rows, in the order asked for (fewer when the source lost one: the caller names it).</summary>
        private async Task<List<Change>> FetchAsync(CancellationToken ct)
        {
            var rows = new List<Change>(_fetch.Count);
            if (_fetch.Count > 0)
            {
                await foreach (var row in read.FetchAsync(_fetch, ct).WithCancellation(ct))
                {
                    rows.Add(row);
                }
            }

            return rows;
        }
    }
}
