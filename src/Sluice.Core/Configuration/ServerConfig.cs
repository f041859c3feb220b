namespace Sluice.Core.Configuration;

/// <summary>
/// <c>server:</c>, the HTTP endpoints of <c>sluice run</c>: the ingest API on <see cref="Listen"/>, and the dashboard,
/// admin API and <c>/metrics</c> on their own listener, <see cref="AdminListen"/> (docs/deploy.md).
/// </summary>
/// <param name="Listen">The ingest API's http(s) URL to bind; default <c>http://127.0.0.1:7080</c>.</param>
public sealed record ServerConfig(string Listen, ConfigLocation Location)
{
    public const string DefaultListen = "http://127.0.0.1:7080";

    public const string DefaultAdminListen = "http://127.0.0.1:7081";

    /// <summary>The dashboard's, admin API's and <c>/metrics</c>' URL (<c>admin_listen:</c>); default <see cref="DefaultAdminListen"/>, this machine only.</summary>
    public string AdminListen { get; init; } = DefaultAdminListen;

    /// <summary>
    /// The token the admin listener asks for (<c>admin_token:</c>, as <c>${VAR}</c>): required when <see cref="AdminListen"/>
    /// is reachable from other machines, and asked for whenever it is set.
    /// </summary>
    public Secret? AdminToken { get; init; }

    /// <summary>
    /// Host names (as in the <c>Host</c> header, without port) both listeners answer to besides this machine's loopback
    /// names and the addresses they are bound to (<c>allowed_hosts:</c>); <c>*</c> allows any.
    /// </summary>
    public IReadOnlyList<string> AllowedHosts { get; init; } = [];

    /// <summary>The ingest listener's certificate (<c>tls:</c>); set exactly when <see cref="Listen"/> is <c>https://</c>.</summary>
    public ServerTlsConfig? Tls { get; init; }
}
