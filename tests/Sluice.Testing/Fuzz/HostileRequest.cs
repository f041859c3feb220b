namespace Sluice.Testing.Fuzz;

/// <summary>
/// A POST to the ingest API as generated: the path, the raw body (possibly not valid UTF-8), and the calls it
/// carries. A 200 answer means every call is stored; anything else means none is.
/// </summary>
public sealed record HostileRequest(string Path, byte[] Body, IReadOnlyList<HostileCall> Calls)
{
    /// <summary>The body as text for a failure message (invalid bytes shown as U+FFFD), cut to a readable length.</summary>
    public string Describe(int max = 600)
    {
        var text = System.Text.Encoding.UTF8.GetString(Body);
        return $"POST {Path} ({Body.Length} bytes): {(text.Length > max ? text[..max] + "…" : text)}";
    }
}
