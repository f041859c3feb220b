using Sluice.Core.Records;

namespace Sluice.Core.Connectors;

/// <summary>
/// Declared by a source that reads every record on every run and leaves finding what changed to the engine
/// (<see cref="ISource.Diff"/>): it yields each record once as an upsert (<see cref="Change.Kind"/> <see cref="ChangeKinds.None"/>,
/// no fingerprint; <see cref="Change.Watched"/> set when <see cref="ReadRequest.Watched"/> asks for columns), and the
/// engine's differ compares each with what the sync stored and yields only added, changed and deleted records.
/// </summary>
/// <remarks>
/// A composite key is the JSON array of its columns' texts (<c>["acme","1"]</c>): that is how a deleted record,
/// of which only the key is left, gets its key columns back.
/// </remarks>
/// <param name="Order">Whether the keys come in <see cref="State.RecordKeyOrder"/>.</param>
/// <param name="PositionAfter">The source's position once the record with this key has been handled; for deleted records, which the source never yields.</param>
public sealed record SourceDiff(KeyOrder Order, Func<string, SourcePosition> PositionAfter)
{
    /// <summary>
    /// Set by a source that, from some checkpoints, reads only the records that may have changed (a model following its
    /// tables' cursors) rather than every record: true for a request it will read so. The engine then compares each
    /// record it yields with what the sync stored (looked up a chunk at a time) and finds no deletes, since a record
    /// not read is not gone. <c>null</c>: every read is whole.
    /// </summary>
    public Func<ReadRequest, bool>? IsPartial { get; init; }

    /// <summary>
    /// Set by a source that can tell, cheaply and without false "unchanged", which rows may have changed since its last
    /// complete read (a PostgreSQL table's <c>xmin</c>): opens a <see cref="IKeySignalRead"/> for the request, or returns
    /// <c>null</c> when the signal cannot be trusted for it (no earlier complete read, a changed mapping, another
    /// database) — the engine then reads every record and compares fingerprints. <c>null</c>: the source has no signal.
    /// </summary>
    public Func<ReadRequest, CancellationToken, Task<IKeySignalRead?>>? OpenSignalRead { get; init; }
}
