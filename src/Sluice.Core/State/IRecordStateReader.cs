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
    /// The keys of the records <see cref="ReadAsync"/> streams (those with a fingerprint), in no particular order and
    /// nothing else: for a diff that holds the stored keys in memory (<see cref="Connectors.IKeySignalRead.NativeKeys"/>).
    /// </summary>
    async IAsyncEnumerable<string> KeysAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var state in ReadAsync(ct).WithCancellation(ct))
        {
            yield return state.Key;
        }
    }

    /// <summary>
    /// The keys of <see cref="KeysAsync"/> as UTF-8 text, each handed to <paramref name="visit"/> (the span is valid only
    /// during the call) until it returns false: for a diff that parses them into values with no string per key.
    /// Returns false when <paramref name="visit"/> stopped the read, true when every key was handed over.
    /// </summary>
    async Task<bool> ReadKeysAsync(StoredKeyVisitor visit, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(visit);
        await foreach (var key in KeysAsync(ct).WithCancellation(ct))
        {
            if (!Visit(visit, key))
            {
                return false;
            }
        }

        return true;

        static bool Visit(StoredKeyVisitor visit, string key)
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(key);
            return visit(bytes);
        }
    }

    /// <summary>
    /// The stored records among <paramref name="keys"/> that <see cref="ReadAsync"/> would stream (absent ones are not in
    /// the result), in one query for the lot, as committed now. The default reads every stored record: a store should
    /// look them up by key.
    /// </summary>
    async Task<IReadOnlyDictionary<string, RecordState>> FindAsync(IReadOnlyList<string> keys, CancellationToken ct)
    {
        var wanted = new HashSet<string>(keys, StringComparer.Ordinal);
        var found = new Dictionary<string, RecordState>(StringComparer.Ordinal);
        await foreach (var state in ReadAsync(ct).WithCancellation(ct))
        {
            if (wanted.Contains(state.Key))
            {
                found[state.Key] = state;
            }
        }

        return found;
    }

    /// <summary>
    /// For the diff of a source that cannot sort its keys: a session that looks stored records up by key, a chunk at
    /// a time, and afterwards streams those it was never asked for (the deleted ones). One per read.
    /// </summary>
    Task<IDiffLookup> OpenLookupAsync(CancellationToken ct) =>
        throw new NotSupportedException($"{GetType().Name} cannot look stored records up by key");
}
