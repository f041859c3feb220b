namespace Sluice.Core.State;

/// <summary>
/// One read's look-ups of stored records by key (<see cref="IRecordStateReader.OpenLookupAsync"/>), for diffing a
/// source that yields keys in no particular order. It remembers the keys it was asked for where the stored records
/// are, not in memory, so that <see cref="UnseenAsync"/> finds the deleted ones however many there are.
/// </summary>
public interface IDiffLookup : IAsyncDisposable
{
    /// <summary>
    /// The stored records among <paramref name="keys"/> (distinct; absent ones are not in the result), in one query for
    /// the lot; the keys count as seen by this read from now on.
    /// </summary>
    Task<IReadOnlyDictionary<string, RecordState>> FindAsync(IReadOnlyList<string> keys, CancellationToken ct);

    /// <summary>A key <see cref="FindAsync"/> was given more than once during this read, if any.</summary>
    Task<string?> RepeatedKeyAsync(CancellationToken ct);

    /// <summary>
    /// The stored records whose keys <see cref="FindAsync"/> was never given, streamed. Call it only once the source's
    /// read has ended well: a key a failed read did not get to is not a deleted record.
    /// </summary>
    IAsyncEnumerable<RecordState> UnseenAsync(CancellationToken ct);
}
