namespace Sluice.Core.Connectors;

/// <summary>
/// A request to an <see cref="HttpRoute"/>, as the host's web server received it. Framework-neutral: the server adapts
/// its own request type onto this one.
/// </summary>
public abstract class HttpIngressRequest
{
    /// <summary>The HTTP method, upper case as sent (<c>POST</c>, <c>OPTIONS</c>).</summary>
    public abstract string Method { get; }

    /// <summary>The path, e.g. <c>/v1/track</c>, without the query string.</summary>
    public abstract string Path { get; }

    /// <summary>The request's <c>Content-Length</c>, when it declared one.</summary>
    public abstract long? ContentLength { get; }

    /// <summary>
    /// The body as it arrives. Reading past the cap set by <see cref="LimitBody"/> throws
    /// <see cref="HttpBodyTooLargeException"/>.
    /// </summary>
    public abstract Stream Body { get; }

    /// <summary>Cancelled when the client goes away.</summary>
    public abstract CancellationToken Aborted { get; }

    /// <summary>A header's value, several values joined by commas; empty when absent.</summary>
    public abstract string Header(string name);

    /// <summary>
    /// Caps how many raw body bytes the host reads for this request, so that a slow or endless upload is cut off
    /// rather than read to the web server's own limit. Call it before reading <see cref="Body"/>.
    /// </summary>
    public abstract void LimitBody(long bytes);
}
