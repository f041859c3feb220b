namespace Sluice.Postgres.State;

/// <summary>A sync's ledger entry of one record, as <c>sluice explain</c> shows it.</summary>
/// <param name="Fingerprint">The fingerprint last committed, in hex; <c>null</c> for a sync that does not diff.</param>
/// <param name="UpdatedAt">When the entry last changed.</param>
/// <param name="WatchedValues">The watched columns' values, as stored JSON.</param>
/// <param name="Status">
/// <c>sent</c>, <c>dead_lettered</c>, <c>left_out</c>, <c>quarantined</c>, <c>waiting</c>; <c>null</c> for an entry stored
/// before the ledger kept a status.
/// </param>
/// <param name="DestinationId">The id the destination gave the record, when it gave one.</param>
/// <param name="Origin">The sync that wrote the entry.</param>
/// <param name="RunId">The run that last stored it.</param>
public sealed record StoredRecordState(string? Fingerprint, DateTimeOffset UpdatedAt, string? WatchedValues)
{
    public string? Status { get; init; }

    public string? DestinationId { get; init; }

    public string? Origin { get; init; }

    public long? RunId { get; init; }
}
