namespace Sluice.Emulators.Segment.Internal;

/// <summary>What to do to one request: an optional delay, then an optional failure.</summary>
internal readonly record struct FaultDecision(TimeSpan Delay, FaultKind Kind, int StatusCode)
{
    public static FaultDecision None => default;
}
