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

        // Segments rather than one growing array: no copy of everything at each doubling, and at most one spare segment.
        var segments = new List<TKey[]>();
        var segment = new TKey[SegmentLength];
        var used = 0;
        long count = 0;
        await foreach (var text in states.KeysAsync(ct).WithCancellation(ct))
        {
            if (++count > maxKeys || !TCodec.TryParse(text, out var key))
            {
                return null;
            }

            if (used == segment.Length)
            {
                segments.Add(segment);
                segment = new TKey[SegmentLength];
                used = 0;
            }

            segment[used++] = key;
        }

        var keys = new TKey[count];
        var at = 0;
        for (var i = 0; i < segments.Count; i++)
        {
            segments[i].CopyTo(keys, at);
            at += segments[i].Length;
            segments[i] = [];
        }

        segment.AsSpan(0, used).CopyTo(keys.AsSpan(at));
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
}
