namespace Sluice.Core.Connectors;

/// <summary>
/// Optional capability of an <see cref="IDestination"/> whose payloads are calls of an API (Segment's
/// <c>track "Order Completed"</c>, <c>identify</c>): it names the call an encoded record makes, so that a plan
/// (<c>sluice plan</c>) can count what a run would send by call. A destination without it is counted by the payload's
/// top-level <c>type</c> and <c>event</c>, else as "record".
/// </summary>
public interface ICallLabels
{
    /// <summary>The call <paramref name="payload"/> (an encoded record's payload) makes; null when it names none.</summary>
    string? LabelOf(ReadOnlySpan<byte> payload);
}
