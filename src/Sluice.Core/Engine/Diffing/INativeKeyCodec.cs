namespace Sluice.Core.Engine.Diffing;

/// <summary>
/// How the keys of one <see cref="Connectors.NativeKeyType"/> are held in memory by <see cref="NativeOrderDiff"/>: as a
/// value that sorts and compares cheaply, parsed from and written back to exactly the key text the sync stores.
/// </summary>
/// <typeparam name="TKey">The value a key is held as.</typeparam>
internal interface INativeKeyCodec<TKey>
    where TKey : unmanaged, IComparable<TKey>, IEquatable<TKey>
{
    /// <summary>
    /// The value of a stored key's UTF-8 text, only when the text is that value's one canonical form (so that the value
    /// written back is the very text): "007" or "+7" is no integer key, since a source's <c>7</c> is "7".
    /// </summary>
    static abstract bool TryParse(ReadOnlySpan<byte> utf8, out TKey key);

    /// <summary>The key text of <paramref name="key"/>, as the source writes it.</summary>
    static abstract string Format(TKey key);

    /// <summary>The value of a <see cref="Connectors.NativeKeySignal.Key"/>.</summary>
    static abstract TKey From(UInt128 key);
}
