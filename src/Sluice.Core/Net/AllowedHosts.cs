namespace Sluice.Core.Net;

/// <summary>
/// The host names a listener answers to, checked against every request's <c>Host</c> header. A web page that makes its
/// own name resolve to 127.0.0.1 (DNS rebinding) is same-origin with a local listener in the browser, but its requests
/// still carry its own name as <c>Host</c>: refusing names the listener was not configured for keeps such a page from
/// reading anything. The port is not compared (the bound socket decides it); names are compared without case.
/// </summary>
public sealed class AllowedHosts
{
    private readonly HashSet<string> _names;
    private readonly bool _any;

    /// <summary>The loopback names, the host of every bound URL in <paramref name="listenUrls"/>, and <paramref name="configured"/>.</summary>
    public AllowedHosts(IEnumerable<string> configured, IEnumerable<string> listenUrls)
    {
        ArgumentNullException.ThrowIfNull(configured);
        ArgumentNullException.ThrowIfNull(listenUrls);
        _names = new HashSet<string>(LoopbackHosts.Names, StringComparer.OrdinalIgnoreCase);
        foreach (var name in configured)
        {
            if (name.Trim() == "*")
            {
                _any = true;
            }
            else
            {
                _names.Add(Bare(name.Trim()));
            }
        }

        foreach (var url in listenUrls)
        {
            if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Host is { Length: > 0 } host && host is not ("0.0.0.0" or "[::]" or "::"))
            {
                _names.Add(Bare(host));
            }
        }
    }

    /// <summary>The names allowed, for messages and docs (<c>*</c> when any is).</summary>
    public IReadOnlyCollection<string> Names => _any ? ["*"] : _names;

    /// <summary>
    /// Whether a request with this <c>Host</c> header value (<c>name:port</c>, <c>[v6]:port</c>) is answered. An absent
    /// header (HTTP/1.0) is: browsers always send one, and only browsers can be made to rebind.
    /// </summary>
    public bool Allows(string? hostHeader)
    {
        if (_any || string.IsNullOrEmpty(hostHeader))
        {
            return true;
        }

        return _names.Contains(Bare(HostOf(hostHeader)));
    }

    private static string HostOf(string hostHeader)
    {
        if (hostHeader.StartsWith('['))
        {
            var end = hostHeader.IndexOf(']', StringComparison.Ordinal);
            return end < 0 ? hostHeader : hostHeader[..(end + 1)];
        }

        var colon = hostHeader.LastIndexOf(':');
        return colon < 0 ? hostHeader : hostHeader[..colon];
    }

    /// <summary>A name as compared: without a trailing dot (<c>localhost.</c> is <c>localhost</c>), IPv6 in brackets.</summary>
    private static string Bare(string host)
    {
        var name = host.TrimEnd('.');
        return name.Contains(':', StringComparison.Ordinal) && !name.StartsWith('[') ? "[" + name + "]" : name;
    }
}
