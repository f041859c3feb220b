namespace Sluice.Core.State;

/// <summary>
/// The fingerprints a diffing sync stored (see <see cref="RecordState"/>), streamed so that a source
/// can merge them with its own rows without holding either in memory.
/// </summary>
public interface IRecordStateReader
{
    /// <summary>
    /// Every stored record of the sync, in <see cref="RecordKeyOrder"/> (the order of PostgreSQL's
    /// <c>COLLATE "C"</c>), as committed when the read starts.
    /// </summary>
    IAsyncEnumerable<RecordState> ReadAsync(CancellationToken ct);
}
