namespace Sluice.Segment.Protocol;

/// <summary>The outcome of <see cref="RequestBodyReader"/>.</summary>
public enum RequestBodyStatus
{
    Ok,

    /// <summary>Over the limit, counted after gzip inflation.</summary>
    TooLarge,

    /// <summary>An unsupported Content-Encoding or a corrupt gzip stream; see <see cref="RequestBody.Problem"/>.</summary>
    Unreadable,
}
