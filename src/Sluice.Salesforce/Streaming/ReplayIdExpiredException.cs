using Sluice.Core.Errors;

namespace Sluice.Salesforce.Streaming;

/// <summary>
/// Salesforce refused to replay from a stored replay id: the event is past its retention (72 hours) or unknown. The
/// changes since cannot come from the stream; a reconciliation poll must find them.
/// </summary>
internal sealed class ReplayIdExpiredException(string channel, long replayId, string error)
    : SluiceException(ErrorClass.Transient, $"Salesforce no longer retains change events after replay id {replayId} on {channel}: {error}")
{
    public long ReplayId { get; } = replayId;
}
