namespace Sluice.Core.State;

/// <summary>
/// A sync's ledger entry for one record: what the sync remembers of it, committed with the batch that handled it, in the
/// same transaction as the send ledger and the checkpoint. A diffing sync keeps the fingerprint of the values it last
/// handled and, when the destination watches columns (a transition), their values as text; every sync that keeps a
/// ledger (see <c>docs/state.md</c>) keeps the status, the destination's id for the record, and which sync wrote it.
/// </summary>
/// <remarks>
/// In a <see cref="BatchCommit"/>, an entry built by <see cref="Forget"/> (no fingerprint, no status) drops the key's
/// entry: the record was deleted at the source and nothing about it needs remembering.
/// </remarks>
/// <param name="Key">The record key as text, as <c>Change.Key</c>.</param>
/// <param name="Fingerprint">The fingerprint of the values last handled (a diffing source); <c>null</c> for a source that does not diff.</param>
public readonly record struct RecordState(string Key, byte[]? Fingerprint)
{
    /// <summary>The watched columns' values as text (<c>Change.Watched</c>); <c>null</c> when none are watched.</summary>
    public IReadOnlyDictionary<string, string?>? Values { get; init; }

    /// <summary>When the state store last stored the record (its last change); set when read back, ignored when committed.</summary>
    public DateTimeOffset? StoredAt { get; init; }

    /// <summary>What happened to the record the last time a run handled it.</summary>
    public RecordStatus Status { get; init; }

    /// <summary>
    /// The id the destination gave the record (<c>WriteResult.DestinationId</c>: a Salesforce Id, the target row's key);
    /// <c>null</c> when it gave none. Kept when a later version is not acknowledged: a refused update does not lose the id.
    /// </summary>
    public string? DestinationId { get; init; }

    /// <summary>
    /// The sync that wrote the record (the engine sets its own name), so that a two-way sync can tell a change it made
    /// itself (an echo) from one someone else made.
    /// </summary>
    public string? Origin { get; init; }

    /// <summary>
    /// Why a processor skipped the record (<c>lookup: no match in app for Email 'x'</c>), for a <see cref="RecordStatus.LeftOut"/>
    /// entry a processor left out with a reason; <c>null</c> otherwise. <c>sluice explain</c> shows it, <c>sluice status</c>
    /// counts the entries with one that the last run stored.
    /// </summary>
    public string? SkipReason { get; init; }

    /// <summary>The run that last stored the entry; set when read back, ignored when committed (the commit's run is stored).</summary>
    public long? RunId { get; init; }

    /// <summary>Whether committing this entry drops the key's entry instead of storing it (see <see cref="Forget"/>).</summary>
    public bool Forgets => Fingerprint is null && Status == RecordStatus.Unspecified;

    /// <summary>An entry that, committed, drops the key's entry: the record was deleted at the source.</summary>
    public static RecordState Forget(string key) => new(key, null);
}
