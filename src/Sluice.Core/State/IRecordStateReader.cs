namespace Sluice.Core.State;

/// <summary>
/// The fingerprints a diffing sync stored (see <see cref="RecordState"/>), streamed so that a source
/// can merge them with its own rows without holding either in memory. Ledger entries without a fingerprint (a
/// sync that does not diff) are not part of the stream; <see cref="IRecordStateLookup"/> finds any entry by key.
/// </summary>
public interface IRecordStateReader
{
    /// <summary>
    /// Every stored record of the sync that has a fingerprint, in <see cref="RecordKeyOrder"/> (the order of PostgreSQL's
    /// <c>COLLATE "C"</c>), as committed when the read starts.
    /// </summary>
    IAsyncEnumerable<RecordState> ReadAsync(CancellationToken ct);

    /// <summary>
    /// For the diff of a source that cannot sort its keys: a session that looks stored records up by key, a chunk at
    /// a time, and afterwards streams those it was never asked for (the deleted ones). One per read.
    /// </summary>
    Task<IDiffLookup> OpenLookupAsync(CancellationToken ct) =>
        throw new NotSupportedException($"{GetType().Name} cannot look stored records up by key");
}
