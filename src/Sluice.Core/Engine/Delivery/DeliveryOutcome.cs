using Sluice.Core.Connectors;
using Sluice.Core.Errors;

namespace Sluice.Core.Engine.Delivery;

/// <summary>How a <see cref="DeliveryService.DeliverAsync"/> ended.</summary>
/// <param name="Unsettled">Records neither acknowledged nor refused: the destination kept failing past every retry. Empty when all settled.</param>
/// <param name="LastFailure">The failure that ended the retries; <c>null</c> when every record settled.</param>
public sealed record DeliveryOutcome(IReadOnlyList<EncodedRecord> Unsettled, SluiceException? LastFailure)
{
    public static readonly DeliveryOutcome AllSettled = new([], null);

    /// <summary>Whether the destination answered for every record.</summary>
    public bool Settled => Unsettled.Count == 0;
}
