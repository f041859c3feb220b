namespace Sluice.State;

/// <summary>One line of a record's history.</summary>
/// <param name="What"><c>acknowledged</c> or <c>dead-lettered</c>.</param>
/// <param name="At">When the state store recorded it.</param>
/// <param name="RunId">The run.</param>
/// <param name="RunKind">incremental or full.</param>
/// <param name="Batch">The batch within the run, for acknowledged sends.</param>
/// <param name="MessageId">The id the record was sent under.</param>
/// <param name="Detail">The operation for a send, the reason for a dead letter.</param>
public sealed record RecordEvent(string What, DateTimeOffset At, long RunId, string RunKind, long? Batch, string? MessageId, string? Detail);
