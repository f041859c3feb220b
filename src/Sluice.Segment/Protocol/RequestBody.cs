namespace Sluice.Segment.Protocol;

/// <summary>
/// A request body, read into an array of exactly its size. An accepted request's array can be kept as the
/// storage of its events (one large array per batch instead of one small array per event, which keeps
/// garbage-collection work low when a million events are retained).
/// </summary>
public sealed class RequestBody(RequestBodyStatus status, byte[]? bytes, string? problem = null)
{
    public RequestBodyStatus Status { get; } = status;

    /// <summary>The body when <see cref="Status"/> is <see cref="RequestBodyStatus.Ok"/>.</summary>
    public byte[] Bytes { get; } = bytes ?? [];

    /// <summary>Why the body was refused, for the 400 message.</summary>
    public string? Problem { get; } = problem;
}
