namespace Sluice.Core.State;

/// <summary>
/// Finds ledger entries (<see cref="RecordState"/>) by key: for a destination or a processor that needs a record's
/// destination id, or a differ that cannot stream its keys in order. One round trip per call, whatever the number of
/// keys: ask for a batch's keys at once, never one record at a time.
/// </summary>
public interface IRecordStateLookup
{
    /// <summary>
    /// The stored entries of <paramref name="keys"/>, by key, as committed when the call runs; a key the sync has no entry
    /// for is absent from the answer. Duplicate keys are looked up once.
    /// </summary>
    Task<IReadOnlyDictionary<string, RecordState>> FindAsync(IReadOnlyCollection<string> keys, CancellationToken ct);

    /// <summary>
    /// Whether the sync's ledger holds any entry at all, as committed when the call runs. <c>true</c> when the store
    /// cannot say cheaply: the answer only lets the engine skip work, never changes what is sent.
    /// </summary>
    Task<bool> AnyAsync(CancellationToken ct) => Task.FromResult(true);
}
