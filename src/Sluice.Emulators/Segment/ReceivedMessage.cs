namespace Sluice.Emulators.Segment;

/// <summary>
/// One distinct event the emulator accepted, keyed by <paramref name="MessageId"/>.
/// </summary>
/// <param name="MessageId">The client's <c>messageId</c>, or the one the emulator assigned (<c>api-…</c>).</param>
/// <param name="Type"><c>identify</c>, <c>track</c>, <c>page</c>, <c>screen</c>, <c>group</c> or <c>alias</c>.</param>
/// <param name="UserId">The event's <c>userId</c>, if it had one.</param>
/// <param name="AnonymousId">The event's <c>anonymousId</c>, if it had one.</param>
/// <param name="ReceivedAt">When the first copy arrived (millisecond precision, UTC).</param>
/// <param name="TimesReceived">1, plus one for every duplicate delivery of the same <c>messageId</c>.</param>
/// <param name="Json">
/// The event as received, with what Segment adds: <c>type</c>, an assigned <c>messageId</c>, <c>receivedAt</c>,
/// the client <c>timestamp</c> relabelled <c>originalTimestamp</c>, the skew-corrected <c>timestamp</c>,
/// the batch's <c>sentAt</c>, and the batch's <c>context</c>/<c>integrations</c> merged in.
/// </param>
public sealed record ReceivedMessage(
    string MessageId,
    string Type,
    string? UserId,
    string? AnonymousId,
    DateTimeOffset ReceivedAt,
    int TimesReceived,
    string Json);
