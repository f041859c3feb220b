namespace Sluice.Core.State;

/// <summary>A record that was refused for good, with the reason and, when there was one, what would have been sent.</summary>
public sealed record DeadLetter(string RecordKey, string? MessageId, string Reason, string? Payload)
{
    /// <summary>Refused, quarantined or waiting. Default <see cref="DeadLetterKind.Rejected"/>.</summary>
    public DeadLetterKind Kind { get; init; } = DeadLetterKind.Rejected;
}
