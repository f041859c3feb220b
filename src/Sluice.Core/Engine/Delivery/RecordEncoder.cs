using System.Text;
using Sluice.Core.Connectors;
using Sluice.Core.Errors;
using Sluice.Core.Mapping;
using Sluice.Core.Records;
using Sluice.Core.State;

namespace Sluice.Core.Engine.Delivery;

/// <summary>
/// What a sync sends of a change, and how: shared by the run and the dry run (<see cref="SyncPlanner"/>), so that
/// "would be sent" and "would be dead-lettered" in a plan mean what a run does.
/// </summary>
internal static class RecordEncoder
{
    /// <summary>
    /// Whether the change goes to the destination at all: of a kind the sync's mode (<c>on:</c>) sends, and one the
    /// destination sends (a track on a transition only). A change left out is handled all the same: its fingerprint moves.
    /// </summary>
    public static bool Sends(SyncDefinition sync, Change change) =>
        (change.Kind == ChangeKinds.None || (change.Kind & sync.Options.On) != 0) && sync.Destination.Sends(change);

    /// <summary>
    /// Encodes a change for the destination; <c>null</c> with <paramref name="refused"/> set when the record is
    /// refused before sending: the encoder's <see cref="ErrorClass.RecordRejected"/>, an encoder that throws
    /// unexpectedly, or a record over the destination's size limit (its payload kept, to replay).
    /// </summary>
    public static EncodedRecord? Encode(IDestination destination, CompiledMapping mapping, Change change, out DeadLetter? refused)
    {
        refused = null;
        try
        {
            var limits = destination.Limits;
            var encoded = destination.Encode(change, mapping);
            if (encoded.Size <= limits.MaxRecordBytes || encoded.Payload.Length <= limits.MaxRecordBytes)
            {
                return encoded;
            }

            refused = new DeadLetter(change.Key, encoded.MessageId,
                $"record is {encoded.Payload.Length / 1024.0:0.#} KB encoded; {destination.Description} accepts at most {limits.MaxRecordBytes / 1024} KB per record",
                Encoding.UTF8.GetString(encoded.Payload.Span));
        }
        catch (SluiceException e) when (e.Class == ErrorClass.RecordRejected)
        {
            refused = new DeadLetter(change.Key, null, e.Message, null);
        }
        catch (Exception e) when (UnexpectedFailure.Is(e))
        {
            refused = new DeadLetter(change.Key, null, UnexpectedFailure.Reason(destination, e), null);
        }

        return null;
    }
}
