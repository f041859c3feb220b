namespace Sluice.Core.Connectors;

/// <summary>
/// What every key of a <see cref="IKeySignalRead"/> is when the source can read its keys in its own order, unsorted
/// (<see cref="IKeySignalRead.NativeKeysAsync"/>): the engine then holds the stored keys as numbers and needs no sort.
/// </summary>
public enum NativeKeyType
{
    /// <summary>Keys come only sorted by text (<see cref="IKeySignalRead.KeysAsync"/>).</summary>
    None,

    /// <summary>A 64-bit (or narrower) integer, whose key text is its decimal form (PostgreSQL's <c>::text</c> of an integer).</summary>
    Integer,

    /// <summary>A UUID, whose key text is its lower-case hyphenated form (PostgreSQL's <c>::text</c> of a <c>uuid</c>).</summary>
    Uuid,
}
