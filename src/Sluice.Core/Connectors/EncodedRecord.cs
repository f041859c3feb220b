using Sluice.Core.Records;

namespace Sluice.Core.Connectors;

/// <summary>A change ready to send: its payload bytes and the message id that makes a resend harmless.</summary>
public sealed class EncodedRecord(Change change, string messageId, ReadOnlyMemory<byte> payload)
{
    public Change Change { get; } = change;

    /// <summary>Deterministic: the same record version always gets the same id, so a replay is deduplicated downstream.</summary>
    public string MessageId { get; } = messageId;

    public ReadOnlyMemory<byte> Payload { get; } = payload;

    /// <summary>
    /// What the destination made <see cref="Payload"/> from, when it would rather write from that than parse the
    /// payload back (an events table's row). A record rebuilt from a stored payload (a dead-letter replay) has none.
    /// </summary>
    public object? Prepared { get; init; }

    /// <summary>
    /// The id the destination already knows the record by, set by the engine before the batch is sent: from the sync's
    /// record ledger (the id the destination gave it before), else from the destination's own lookup
    /// (<see cref="IRecordMatching"/>) or a processor that found it. <c>null</c>: a record the destination has not seen,
    /// to create. A destination that updates by id (Salesforce) uses it instead of creating the record again.
    /// </summary>
    public string? KnownDestinationId { get; set; }

    /// <summary>
    /// What a two-way pair stores for this record once the destination acknowledges it (set by its processor), or
    /// <c>null</c>: committed with the batch.
    /// </summary>
    public State.PairedRecord? Paired { get; set; }
}
