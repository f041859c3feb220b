namespace Sluice.Core.Connectors;

/// <summary>
/// Thrown by <see cref="HttpIngressRequest.Body"/> when the body is larger than <see cref="HttpIngressRequest.LimitBody"/>
/// allows: the route answers with its own "too large" error.
/// </summary>
public sealed class HttpBodyTooLargeException(string message, Exception? inner = null) : IOException(message, inner);
