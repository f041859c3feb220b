using System.Runtime.CompilerServices;
using Sluice.Core.Records;
using Sluice.Core.State;

namespace Sluice.Core.Engine.Diffing;

/// <summary>
/// The diff of a source that yields keys in no particular order (an HTTP API that cannot sort by byte order): the
/// records are taken a chunk at a time and their stored versions looked up in the state database in one query per
/// chunk (<see cref="IDiffLookup.FindAsync"/>), which also keeps the keys as seen. Once the source's read has
/// ended — and only then: a failed or cancelled read never gets there, so it deletes nothing — the stored records
/// whose keys were never seen are the deleted ones (<see cref="IDiffLookup.UnseenAsync"/>).
/// </summary>
/// <remarks>
/// Memory holds one chunk, whatever the size of the source: the keys seen so far are kept by the state database,
/// not here. A key repeated within a chunk stops the read at once; one repeated across chunks is found by the state
/// database before any delete is handed on.
/// </remarks>
internal static class UnsortedDiff
{
    /// <summary>Records looked up at a time: large enough that a round trip per chunk costs little, small enough to hold.</summary>
    internal const int ChunkSize = 2000;

    public static async IAsyncEnumerable<Change> ReadAsync(IAsyncEnumerable<Change> records, RecordDiff diff, IRecordStateReader? states, bool findDeletes, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var lookup = states is null ? NothingStored.Instance : await states.OpenLookupAsync(ct);
        await foreach (var (chunk, keys) in ChunksAsync(records, diff, ct))
        {
            var stored = await lookup.FindAsync(keys, ct);
            foreach (var record in chunk)
            {
                if (diff.Compare(record, stored.TryGetValue(record.Key, out var known) ? known : null) is { } change)
                {
                    yield return change;
                }
            }
        }

        // The read has ended well: every key the source returns has been seen.
        if (await lookup.RepeatedKeyAsync(ct) is { } repeated)
        {
            throw diff.Repeated(repeated);
        }

        if (!findDeletes)
        {
            yield break; // a partial read: a key it did not return was not read, not deleted
        }

        await foreach (var gone in lookup.UnseenAsync(ct))
        {
            yield return diff.Deleted(gone);
        }
    }

    private static async IAsyncEnumerable<(List<Change> Chunk, List<string> Keys)> ChunksAsync(IAsyncEnumerable<Change> records, RecordDiff diff, [EnumeratorCancellation] CancellationToken ct)
    {
        var chunk = new List<Change>(ChunkSize);
        var keys = new HashSet<string>(ChunkSize, StringComparer.Ordinal);
        await foreach (var record in records.WithCancellation(ct))
        {
            if (!keys.Add(record.Key))
            {
                throw diff.Repeated(record.Key);
            }

            chunk.Add(record);
            if (chunk.Count == ChunkSize)
            {
                yield return (chunk, keys.ToList());
                chunk = new List<Change>(ChunkSize);
                keys.Clear();
            }
        }

        if (chunk.Count > 0)
        {
            yield return (chunk, keys.ToList());
        }
    }

    /// <summary>The look-up of a read the engine gives no stored records: every record is added, none deleted.</summary>
    private sealed class NothingStored : IDiffLookup
    {
        public static readonly NothingStored Instance = new();

        public Task<IReadOnlyDictionary<string, RecordState>> FindAsync(IReadOnlyList<string> keys, CancellationToken ct) =>
            Task.FromResult<IReadOnlyDictionary<string, RecordState>>(new Dictionary<string, RecordState>());

        public Task<string?> RepeatedKeyAsync(CancellationToken ct) => Task.FromResult<string?>(null);

        public async IAsyncEnumerable<RecordState> UnseenAsync([EnumeratorCancellation] CancellationToken ct)
        {
            await Task.CompletedTask;
            yield break;
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
