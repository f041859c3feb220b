namespace Sluice.Core.Records;

/// <summary>
/// One change read from a source: the record's key, what happened to it, its field values
/// (aligned with the columns the source was asked to read) and the position just after it.
/// </summary>
/// <remarks>
/// A change is a class with an array rather than a dictionary so that a sync of millions of rows
/// allocates one small object and one array per row, and mapping indexes by ordinal.
/// </remarks>
public sealed class Change(string key, ChangeOperation operation, object?[] values, SourcePosition position)
{
    /// <summary>The record key as text: one column's value, or several joined unambiguously.</summary>
    public string Key { get; } = key;

    public ChangeOperation Operation { get; } = operation;

    private object?[] _values = values;

    /// <summary>
    /// Values in the order of <see cref="Connectors.ReadRequest.Columns"/>; <c>null</c> is SQL NULL (all of them for a delete).
    /// Empty once the engine has released them (<see cref="ReleaseValues"/>).
    /// </summary>
    public object?[] Values => _values;

    /// <summary>Where the source stands once this change has been delivered.</summary>
    public SourcePosition Position { get; } = position;

    /// <summary>
    /// Set by a source that diffs: whether the record was added, changed or deleted, so that the sync's
    /// mode (<c>on:</c>) can pick what to send. <see cref="ChangeKinds.None"/> for a source that cannot tell.
    /// </summary>
    public ChangeKinds Kind { get; init; }

    /// <summary>
    /// Set by a source that diffs: the fingerprint of the record's values, stored (with the ledger, in the
    /// same transaction) once the change has been handled; <c>null</c> for a delete, which forgets the key.
    /// </summary>
    public byte[]? Fingerprint { get; init; }

    /// <summary>
    /// Set by a diffing source asked to watch columns (<see cref="Connectors.ReadRequest.Watched"/>): their values
    /// now, as PostgreSQL writes them as text, stored with <see cref="Fingerprint"/> once the change is handled.
    /// </summary>
    public IReadOnlyDictionary<string, string?>? Watched { get; init; }

    /// <summary>
    /// Set by a diffing source asked to watch columns: their values as the sync last stored them for this record;
    /// <c>null</c> when it stored none (a record it has not seen, or one stored before the columns were watched).
    /// A transition compares it with <see cref="Watched"/>; a delete carries it too.
    /// </summary>
    public IReadOnlyDictionary<string, string?>? Previous { get; init; }

    /// <summary>
    /// Set by a diffing source for a record it had stored: when it stored it. Two identical transitions of one
    /// record (paid → trial → paid) differ by it, so their message ids do, and a replay of one keeps its id.
    /// </summary>
    public DateTimeOffset? StoredAt { get; init; }

    /// <summary>
    /// Set by a source whose every change is an event of its own (a WAL position, a queue offset): identifies this
    /// version of the record, so that two changes with the same content (paid → trial → paid) get distinct message
    /// ids while a replay of one change keeps its id. <c>null</c>: a version is identified by its content.
    /// </summary>
    public string? Version { get; init; }

    /// <summary>
    /// Set by a source that knows which client made the change: Salesforce's <c>changeOrigin</c>
    /// (<c>com/salesforce/api/rest/62.0;client=sluice</c>). <see cref="OwnWrite"/> says whether that client was Sluice, so a
    /// two-way sync can skip its own echoes. <c>null</c>: unknown.
    /// </summary>
    public string? Origin { get; init; }

    /// <summary>Set with <see cref="Origin"/>: the change was made by Sluice's own writes.</summary>
    public bool OwnWrite { get; init; }

    /// <summary>
    /// Set by a source whose changes arrive in requests (the ingest queue): the W3C <c>traceparent</c> of the request
    /// that brought this change, when it was traced, so that the span of the batch that sends it links to that request.
    /// </summary>
    public string? TraceParent { get; init; }

    /// <summary>
    /// Whether this is no record but only a move of the source's position (<see cref="Progress"/>): nothing is sent,
    /// stored or counted for it, and its position is committed with the batch it ends.
    /// </summary>
    public bool IsProgress { get; private init; }

    /// <summary>
    /// The end of a read that moved the source's position past records it found unchanged or never had to hand on (a
    /// model that followed its tables' cursors): yielded last, so that the checkpoint moves even when no record does.
    /// A diffed read hands it on after the deletes the engine finds.
    /// </summary>
    /// <summary>
    /// Lets go of the values once nothing will read them again: the engine calls it when the change is encoded for a
    /// destination that writes from payloads only (<see cref="Connectors.IDestination.WritesPayloadsOnly"/>) and no
    /// processor, lookup or write-back of the sync reads the record. A batch then holds its rows' payloads and keys while
    /// it waits for the acknowledgement and its commit, not every row's strings and boxed values as well, which the
    /// garbage collector would otherwise copy from generation to generation.
    /// </summary>
    internal void ReleaseValues() => _values = [];

    /// <summary>
    /// This change with other values (the same key, operation, position and what the engine knows of it): a processor's
    /// lookup widens a record by the columns it adds before the record is encoded again.
    /// </summary>
    public Change WithValues(object?[] values) => Copy(values, Fingerprint);

    /// <summary>This change with the fingerprint of the values the mapping reads (everything else the same).</summary>
    public Change WithFingerprint(byte[] fingerprint) => Copy(Values, fingerprint);

    /// <summary>Every property a source or the engine set, carried over: what is left out here is lost downstream.</summary>
    private Change Copy(object?[] values, byte[]? fingerprint) => new(Key, Operation, values, Position)
    {
        Kind = Kind,
        Fingerprint = fingerprint,
        Watched = Watched,
        Previous = Previous,
        StoredAt = StoredAt,
        Version = Version,
        Origin = Origin,
        OwnWrite = OwnWrite,
        TraceParent = TraceParent,
    };

    public static Change Progress(SourcePosition position) => new("", ChangeOperation.Upsert, [], position) { IsProgress = true };
}
