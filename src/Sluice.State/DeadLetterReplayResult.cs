namespace Sluice.State;

/// <summary>What a replay of dead letters did (<c>sluice dlq replay</c>).</summary>
/// <param name="Delivered">Letters the destination acknowledged: out of the queue.</param>
/// <param name="Refused">Letters refused again: still in the queue, under the new reason.</param>
/// <param name="Unreplayable">Letters with no stored payload (refused before they were encoded): nothing to send.</param>
/// <param name="AlreadyDelivered">Asked-for letters a replay had already delivered: not sent again.</param>
/// <param name="NotFound">Asked-for ids that are no letter of this sync.</param>
/// <param name="StoppedBy">Why the replay stopped early (the destination failed past every retry); <c>null</c> when it went through.</param>
public sealed record DeadLetterReplayResult(
    int Delivered,
    IReadOnlyList<StoredDeadLetter> Refused,
    IReadOnlyList<StoredDeadLetter> Unreplayable,
    IReadOnlyList<long> AlreadyDelivered,
    IReadOnlyList<long> NotFound,
    string? StoppedBy);
