using System.Net;

namespace Sluice.Core.Net;

/// <summary>
/// What counts as this machine for a listener: <c>localhost</c> and loopback addresses. A listener bound only to these is
/// reachable from nowhere else; any other host (a name, <c>0.0.0.0</c>, <c>*</c>) is reachable from the network.
/// </summary>
public static class LoopbackHosts
{
    /// <summary>The names a browser on this machine uses for it, as they appear in a <c>Host</c> header (without port).</summary>
    public static readonly IReadOnlyList<string> Names = ["localhost", "127.0.0.1", "[::1]"];

    /// <summary>Whether <paramref name="host"/> (a URL's host, IPv6 in brackets or not) is this machine only.</summary>
    public static bool IsLoopback(string host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var bare = host.Trim('[', ']');
        if (bare.Equals("localhost", StringComparison.OrdinalIgnoreCase) || bare.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return IPAddress.TryParse(bare, out var address) && IPAddress.IsLoopback(address);
    }

    /// <summary>Whether a listen URL (<c>http://127.0.0.1:7081</c>) binds loopback only.</summary>
    public static bool IsLoopbackUrl(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var normalised = url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal);
        return Uri.TryCreate(normalised, UriKind.Absolute, out var uri) && IsLoopback(uri.Host);
    }
}
