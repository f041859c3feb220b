using Sluice.Core.Connectors;
using Sluice.Core.Errors;
using Sluice.Core.Records;
using Sluice.Core.State;

namespace Sluice.Core.Engine.Diffing;

/// <summary>
/// What one diffed read decides about a record, whatever the order the keys come in: compared with what the sync
/// stored for its key, it is added, changed or unchanged (left out); a stored key the source no longer returns is a
/// deleted record. One instance per read: not thread-safe (it reuses its fingerprint's hashing context).
/// </summary>
internal sealed class RecordDiff : IDisposable
{
    private readonly RecordFingerprint _fingerprint;
    private readonly DeletedRecords _deleted;
    private readonly IReadOnlyList<string> _key;

    /// <summary>No checkpoint: a first run, or a full one (--full) — every record the source returns counts as added.</summary>
    private readonly bool _full;

    /// <param name="full">Whether every record counts as added; by default when the read has no checkpoint (a first or a full run).</param>
    public RecordDiff(string description, IReadOnlyList<string> key, ReadRequest request, SourceDiff diff, bool? full = null)
    {
        Description = description;
        _key = key;
        _full = full ?? request.From is null;
        _fingerprint = new RecordFingerprint(request.Columns);
        _deleted = new DeletedRecords(key, request.Columns, diff.PositionAfter);
    }

    /// <summary>The source's description, for messages.</summary>
    public string Description { get; }

    /// <summary>
    /// The change to hand on for <paramref name="record"/> (one the source yielded) given what the sync stored for its
    /// key (<c>null</c>: nothing), or <c>null</c> when it is unchanged.
    /// </summary>
    public Change? Compare(Change record, RecordState? stored)
    {
        if (record.Operation != ChangeOperation.Upsert || record.Kind != ChangeKinds.None || record.Fingerprint is not null)
        {
            throw new InvalidOperationException($"{Description} declares that the engine diffs it, so it must yield every record as a plain upsert; it yielded a {record.Operation} of kind {record.Kind}");
        }

        _fingerprint.Compute(record.Values);
        var now = record.Watched;
        var kind = ChangeKinds.Added;
        if (stored is { } known)
        {
            // A record stored before its watched columns were (or without one of them) is handed on once to
            // store them: unsent, since there is nothing to compare with, but the next change has a "before".
            // (The engine reads watched columns, so they are in the fingerprint too; comparing is cheap insurance.)
            if (!_full && known.Fingerprint is { } previous && _fingerprint.Matches(previous) && SameWatched(known.Values, now))
            {
                return null;
            }

            kind = _full ? ChangeKinds.Added : ChangeKinds.Changed;
        }

        return new Change(record.Key, ChangeOperation.Upsert, record.Values, record.Position)
        {
            Kind = kind,
            Fingerprint = _fingerprint.ToArray(),
            Watched = now,
            Previous = stored?.Values,
            StoredAt = stored?.StoredAt,
            Version = record.Version,
        };
    }

    /// <summary>The delete of a stored record the source no longer returns.</summary>
    public Change Deleted(RecordState gone) => _deleted.Change(gone);

    /// <summary>The delete of a stored record the source says is gone, at the source's <paramref name="position"/>.</summary>
    public Change Deleted(RecordState gone, SourcePosition position)
    {
        var change = _deleted.Change(gone);
        return new Change(change.Key, ChangeOperation.Delete, change.Values, position) { Kind = change.Kind, Previous = change.Previous, StoredAt = change.StoredAt };
    }

    /// <summary>A key the source returned twice: two records that cannot be told apart stop the read.</summary>
    public SluiceException Repeated(string key) => SluiceException.Fatal(
        $"{Description}: key '{key}' comes back more than once, so records cannot be told apart; make the key ({string.Join(", ", _key)}) unique in what the source returns");

    /// <summary>
    /// Throws unless <paramref name="key"/> sorts after <paramref name="previous"/> (the key handed on before it, or
    /// <c>null</c>): merging with the stored records needs every key once, in byte order.
    /// </summary>
    public void EnsureAfter(string? previous, string key)
    {
        if (previous is not null && RecordKeyOrder.Instance.Compare(previous, key) >= 0)
        {
            throw previous == key
                ? Repeated(key)
                : SluiceException.Fatal($"{Description}: key '{key}' came after '{previous}'; diffing needs keys in byte order (COLLATE \"C\" on a UTF-8 database)");
        }
    }

    public void Dispose() => _fingerprint.Dispose();

    /// <summary>Whether every watched value now is stored, and the same; true when nothing is watched.</summary>
    private static bool SameWatched(IReadOnlyDictionary<string, string?>? stored, IReadOnlyDictionary<string, string?>? now)
    {
        if (now is null)
        {
            return true;
        }

        foreach (var (column, value) in now)
        {
            if (stored is null || !stored.TryGetValue(column, out var before) || !string.Equals(before, value, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }
}
