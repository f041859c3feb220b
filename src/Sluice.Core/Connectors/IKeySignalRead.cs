using Sluice.Core.Records;

namespace Sluice.Core.Connectors;

/// <summary>
/// A diffing source's cheaper read (<see cref="SourceDiff.OpenSignalRead"/>): every key with a change signal first, and
/// whole rows only for the keys the engine asks for — those whose signal says they may have changed, or that the sync
/// has no fingerprint for. Both reads see one snapshot of the source. The engine still fingerprints every row it
/// fetches: the signal only decides what is worth fetching, never what is sent.
/// </summary>
public interface IKeySignalRead : IAsyncDisposable
{
    /// <summary>Every key the source returns now, once, in <see cref="State.RecordKeyOrder"/>.</summary>
    IAsyncEnumerable<KeySignal> KeysAsync(CancellationToken ct);

    /// <summary>
    /// The records of <paramref name="keys"/> (taken from <see cref="KeysAsync"/>), in the same order, each a plain upsert
    /// as <see cref="ISource.ReadAsync"/> yields it. Called between pages of <see cref="KeysAsync"/>, never during one.
    /// </summary>
    IAsyncEnumerable<Change> FetchAsync(IReadOnlyList<KeySignal> keys, CancellationToken ct);

    /// <summary>
    /// What every key is when the source can also read them in its own order, unsorted (<see cref="NativeKeysAsync"/>),
    /// and vouches that each comes at most once (a unique index on the key); <see cref="NativeKeyType.None"/> otherwise.
    /// </summary>
    NativeKeyType NativeKeys => NativeKeyType.None;

    /// <summary>
    /// Every key the source returns now, once, in no particular order (a table's physical order: no sort), as values of
    /// <see cref="NativeKeys"/>. Called instead of <see cref="KeysAsync"/>, never during it; <see cref="FetchAsync"/> is
    /// called with the keys' texts, one call at a time, and may run while the next keys are read (on another thread):
    /// a source reads these keys on a connection of their own. The engine may leave it
    /// unfinished (its enumerator disposed, before any fetch) and call <see cref="KeysAsync"/> instead: every key again,
    /// sorted, from the same snapshot.
    /// </summary>
    IAsyncEnumerable<NativeKeySignal> NativeKeysAsync(CancellationToken ct) =>
        throw new NotSupportedException($"{GetType().Name} reads keys sorted only");

    /// <summary>The source's end of read (<see cref="Change.IsProgress"/>), to hand on once every key was handled.</summary>
    Change End { get; }
}
