namespace Sluice.State;

/// <summary>A sync's ledger entry of one record, as <c>sluice explain</c> shows it.</summary>
/// <param name="Fingerprint">The fingerprint last committed, in hex; <c>null</c> for a sync that does not diff.</param>
/// <param name="UpdatedAt">When the entry last changed.</param>
/// <param name="WatchedValues">The watched columns' values, as stored JSON.</param>
public sealed record StoredRecordState(string? Fingerprint, DateTimeOffset UpdatedAt, string? WatchedValues)
{
    /// <summary>
    /// <c>sent</c>, <c>dead_lettered</c>, <c>left_out</c>, <c>quarantined</c>, <c>waiting</c>; <c>null</c> for an entry stored
    /// before the ledger kept a status.
    /// </summary>
    public string? Status { get; init; }

    /// <summary>The id the destination gave the record, when it gave one.</summary>
    public string? DestinationId { get; init; }

    /// <summary>The sync that wrote the entry.</summary>
    public string? Origin { get; init; }

    /// <summary>Why a processor skipped the record (a lookup with no match), when one did; <c>null</c> otherwise.</summary>
    public string? SkipReason { get; init; }

    /// <summary>The run that last stored it.</summary>
    public long? RunId { get; init; }
}
