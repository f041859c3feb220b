using Sluice.Core.Records;

namespace Sluice.Core.Connectors;

/// <summary>A change ready to send: its payload bytes and the message id that makes a resend harmless.</summary>
public sealed class EncodedRecord
{
    private ReadOnlyMemory<byte> _payload;
    private Func<object, ReadOnlyMemory<byte>>? _build;
    private string? _messageId;
    private readonly Func<EncodedRecord, string>? _buildMessageId;

    public EncodedRecord(Change change, string messageId, ReadOnlyMemory<byte> payload)
    {
        Change = change;
        _messageId = messageId;
        _payload = payload;
        Size = payload.Length;
    }

    /// <summary>
    /// A record whose payload is built from <paramref name="prepared"/> only when something asks for it (a dead letter,
    /// a plan's sample, a validation): a destination that writes from <see cref="Prepared"/> and would otherwise build a
    /// payload per record for nothing. <paramref name="size"/> is never less than the payload's length, so that a batch
    /// filled by it stays within the destination's limits.
    /// </summary>
    public EncodedRecord(Change change, string messageId, object prepared, Func<object, ReadOnlyMemory<byte>> payload, int size)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        ArgumentNullException.ThrowIfNull(payload);
        Change = change;
        _messageId = messageId;
        Prepared = prepared;
        _build = payload;
        Size = size;
    }

    /// <summary>
    /// A record whose payload and message id are both made from <paramref name="prepared"/> only when first asked for: a
    /// destination that writes from <see cref="Prepared"/> and hashes its message id over the payload can then leave both
    /// to a moment when the process is otherwise idle (Salesforce: while its Bulk job is processed) rather than spend them
    /// while the batch is read and uploaded, and keep no payload at all unless something needs one (a dead letter).
    /// <paramref name="size"/> is never less than the payload's length.
    /// </summary>
    public EncodedRecord(Change change, object prepared, Func<object, ReadOnlyMemory<byte>> payload, Func<EncodedRecord, string> messageId, int size)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentNullException.ThrowIfNull(messageId);
        Change = change;
        Prepared = prepared;
        _build = payload;
        _buildMessageId = messageId;
        Size = size;
    }

    public Change Change { get; }

    /// <summary>
    /// Deterministic: the same record version always gets the same id, so a replay is deduplicated downstream. Made on
    /// first use when the destination defers it (two threads may both make it: harmless, it is the same).
    /// </summary>
    public string MessageId => _messageId ??= _buildMessageId!(this);

    /// <summary>The payload, built on first use when the destination defers it (two threads may both build it: harmless, it is the same).</summary>
    public ReadOnlyMemory<byte> Payload
    {
        get
        {
            if (_build is { } build)
            {
                _payload = build(Prepared!);
                _build = null;
            }

            return _payload;
        }
    }

    /// <summary>
    /// What the record counts for in a batch's and a record's byte limits: the payload's length, or, while a deferred
    /// payload has not been built, a bound it never exceeds.
    /// </summary>
    public int Size { get; }

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
