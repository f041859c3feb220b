namespace Sluice.Core.Connectors;

/// <summary>The answer to an <see cref="HttpIngressRequest"/>: written by the host as is.</summary>
/// <param name="Status">The status code.</param>
/// <param name="Body">The body bytes; empty for none.</param>
/// <param name="ContentType">The <c>Content-Type</c>; <c>null</c> sends no body headers at all (a 204).</param>
public sealed record HttpIngressResponse(int Status, ReadOnlyMemory<byte> Body, string? ContentType)
{
    /// <summary>Further response headers (CORS, <c>Allow</c>), in order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];
}
