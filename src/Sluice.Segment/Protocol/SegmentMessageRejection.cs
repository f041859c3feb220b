using Sluice.Core.Errors;

namespace Sluice.Segment.Protocol;

/// <summary>Why a call is refused: the problem, and the reason as a user reads it in a dead letter.</summary>
/// <param name="Problem">What is wrong, for code that decides by it.</param>
/// <param name="Reason">The sentence that says so.</param>
public sealed record SegmentMessageRejection(SegmentMessageProblem Problem, string Reason)
{
    /// <summary>The rejection as a record-rejected error, with <paramref name="context"/> (e.g. why the field matters) appended.</summary>
    public SluiceException ToException(string? context = null) =>
        new(ErrorClass.RecordRejected, context is null ? Reason : $"{Reason}{context}");
}
