namespace Sluice.Core.Configuration;

/// <summary><c>server:</c>, the HTTP endpoint of <c>sluice run</c> (ingest API, dashboard, metrics).</summary>
/// <param name="Listen">An http(s) URL to bind; default <c>http://127.0.0.1:7080</c>.</param>
public sealed record ServerConfig(string Listen, ConfigLocation Location)
{
    public const string DefaultListen = "http://127.0.0.1:7080";
}
