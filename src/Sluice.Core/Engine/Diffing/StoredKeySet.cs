using Sluice.Core.State;

namespace Sluice.Core.Engine.Diffing;

/// <summary>
/// The keys a sync stored (those with a fingerprint), held as values in one sorted array, with a bit per key for
/// "returned by the source in this read": what <see cref="NativeOrderDiff"/> merges an unsorted key scan against.
/// </summary>
/// <remarks>
/// Memory: <c>sizeof(TKey)</c> bytes and one bit a key (8 bytes for an integer key, 16 for a uuid), plus one loading
/// segment while it loads. A sync with more stored keys than <see cref="NativeOrderDiff.MaxStoredKeyBytes"/> allows, or
/// with a stored key that is not the canonical text of a <typeparamref name="TKey"/>, is not loaded at all.
/// </remarks>
internal sealed class StoredKeySet<TKey, TCodec>
    where TKey : unmanaged, IComparable<TKey>, IEquatable<TKey>
    where TCodec : struct, INativeKeyCodec<TKey>
{
    private const int SegmentLength = 1 << 20;

    private readonly TKey[] _keys;
    private readonly ulong[] _seen;

    /// <summary>The index the last look-up found: a table loaded in key order is scanned nearly in it.</summary>
    private int _last = -1;

    private StoredKeySet(TKey[] keys)
    {
        _keys = keys;
        _seen = new ulong[(keys.Length + 63) / 64];
    }

    public int Count => _keys.Length;

    /// <summary>
    /// The stored keys of <paramref name="states"/> (none when <c>null</c>), or <c>null</c> when they do not fit in
    /// <paramref name="maxKeys"/> or one of them is not a <typeparamref name="TKey"/> (the caller then merges by text).
    /// </summary>
    public static async Task<StoredKeySet<TKey, TCodec>?> LoadAsync(IRecordStateReader? states, long maxKeys, CancellationToken ct)
    {
        if (states is null)
        {
            return new StoredKeySet<TKey, TCodec>([]);
        }

        var loader = new Loader(maxKeys);
        if (!await states.ReadKeysAsync(loader.Add, ct))
        {
            return null;
        }

        var keys = loader.ToArray();
        Array.Sort(keys);
        for (var i = 1; i < keys.Length; i++)
        {
            if (keys[i].Equals(keys[i - 1]))
            {
                return null; // two stored texts of one value: not canonical after all, merge by text
            }
        }

        return new StoredKeySet<TKey, TCodec>(keys);
    }

    /// <summary>The index of <paramref name="key"/>, or -1 when the sync stored no such key.</summary>
    public int IndexOf(TKey key)
    {
        var next = _last + 1;
        if (next < _keys.Length && _keys[next].Equals(key))
        {
            return _last = next;
        }

        var index = Array.BinarySearch(_keys, key);
        if (index < 0)
        {
            return -1;
        }

        return _last = index;
    }

    /// <summary>Marks the key at <paramref name="index"/> returned; false when it was already (the source repeated it).</summary>
    public bool MarkSeen(int index)
    {
        ref var word = ref _seen[index >> 6];
        var bit = 1UL << (index & 63);
        if ((word & bit) != 0)
        {
            return false;
        }

        word |= bit;
        return true;
    }

    /// <summary>The texts of the stored keys never marked: once the source's read has ended, the deleted records.</summary>
    public IEnumerable<string> Unseen()
    {
        for (var i = 0; i < _keys.Length; i++)
        {
            if ((_seen[i >> 6] & (1UL << (i & 63))) == 0)
            {
                yield return TCodec.Format(_keys[i]);
            }
        }
    }

    /// <summary>
    /// Collects the parsed keys in segments rather than one growing array: no copy of everything at each doubling, and
    /// at most one spare segment.
    /// </summary>
    private sealed class Loader(long maxKeys)
    {
        private readonly List<TKey[]> _segments = [];
        private TKey[] _segment = new TKey[SegmentLength];
        private int _used;
        private long _count;

        /// <summary>Takes one stored key's text; false (stop) when there are too many or it is not a <typeparamref name="TKey"/>.</summary>
        public bool Add(ReadOnlySpan<byte> utf8)
        {
            if (++_count > maxKeys || !TCodec.TryParse(utf8, out var key))
            {
                return false;
            }

            if (_used == _segment.Length)
            {
                _segments.Add(_segment);
                _segment = new TKey[SegmentLength];
                _used = 0;
            }

            _segment[_used++] = key;
            return true;
        }

        public TKey[] ToArray()
        {
            var keys = new TKey[_count];
            var at = 0;
            for (var i = 0; i < _segments.Count; i++)
            {
                _segments[i].CopyTo(keys, at);
                at += _segments[i].Length;
                _segments[i] = [];
            }

            _segment.AsSpan(0, _used).CopyTo(keys.AsSpan(at));
            return keys;
        }
    }
}
