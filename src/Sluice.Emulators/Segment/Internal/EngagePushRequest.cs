namespace Sluice.Emulators.Segment.Internal;

/// <summary>The body of <c>POST /__emulator/engage</c>.</summary>
internal sealed record EngagePushRequest(IReadOnlyList<EngagePush> Pushes);
