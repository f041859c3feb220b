namespace Sluice.Emulators.Segment.Internal;

internal enum RequestBodyStatus
{
    Ok,
    TooLarge,
    Unreadable,
}
