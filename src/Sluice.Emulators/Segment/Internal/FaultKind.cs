namespace Sluice.Emulators.Segment.Internal;

internal enum FaultKind
{
    None,
    RateLimit,
    ServerError,
    DropConnection,
}
