using Sluice.Core.Mapping;
using Sluice.Core.Records;

namespace Sluice.Core.Connectors;

/// <summary>
/// Writes records to a system and says, for each one, what happened. A destination never decides
/// about retries or checkpoints: it reports, the engine acts.
/// </summary>
public interface IDestination : IAsyncDisposable
{
    string Description { get; }

    /// <summary>The mapping targets this destination understands (which are required, which are nested objects).</summary>
    MappingShape Shape { get; }

    /// <summary>How large a batch may be.</summary>
    DestinationLimits Limits { get; }

    /// <summary>
    /// Whether <see cref="Encode"/> understands a <see cref="ChangeOperation.Delete"/> change (key only, no values).
    /// A sync whose mode sends deletes (<c>on: [deleted]</c>) needs a destination that does.
    /// </summary>
    bool AcceptsDeletes => false;

    /// <summary>
    /// Whether the destination has anything to send for a change the sync's mode lets through. <c>false</c>
    /// leaves the change out as the mode would (a diffing source's fingerprint still moves): a Segment track
    /// on a transition sends only the changes that make the transition.
    /// </summary>
    bool Sends(Change change) => true;

    /// <summary>
    /// Whether the destination needs the engine to keep a ledger entry per record (its id, status) even when the sync's
    /// source streams (CDC, ingest): one that updates records by the id it gave them. A sync whose source reads what is
    /// there and ends keeps one anyway. <c>false</c> by default: a stream of events keeps none.
    /// </summary>
    bool RemembersRecords => false;

    /// <summary>
    /// Whether the destination never reads <see cref="EncodedRecord.Change"/>'s values once a record is encoded — not in
    /// <see cref="WriteAsync"/>, nor in its own lookup (<see cref="IRecordMatching"/>) or an early batch
    /// (<see cref="IEarlyBatchWrites"/>): it writes from the payload, the prepared form, the message id and the key. The
    /// engine may then release a change's values as soon as it is encoded. <c>false</c> by default.
    /// </summary>
    bool WritesPayloadsOnly => false;

    Task CheckAsync(CancellationToken ct);

    /// <summary>
    /// Turns one mapped change into the bytes that will be sent, with its deterministic message id.
    /// Throws a <c>SluiceException</c> of class <c>RecordRejected</c> for a record that can never be sent
    /// (it goes to the dead-letter queue).
    /// </summary>
    EncodedRecord Encode(Change change, CompiledMapping mapping);

    /// <summary>
    /// Sends a batch and returns one result per record, in order. Throws a transient
    /// <c>SluiceException</c> when the whole batch failed in a way worth retrying (network, 429, 5xx).
    /// </summary>
    Task<IReadOnlyList<WriteResult>> WriteAsync(IReadOnlyList<EncodedRecord> batch, CancellationToken ct);
}
