using Sluice.Core.Configuration;

namespace Sluice.Core.Connectors;

/// <summary>
/// Optional capability of an <see cref="IConnector"/>: it receives data over HTTP (the ingest API's Segment
/// Tracking API and envelope; next, webhooks). <c>sluice run</c> finds it with <c>connector is IHttpIngress</c> and
/// mounts the routes it contributes on its web server, next to the dashboard; the server knows nothing else about them.
/// The routes are described without a web framework (<see cref="HttpRoute"/>), so connectors stay free of ASP.NET Core.
/// </summary>
public interface IHttpIngress
{
    /// <summary>
    /// The routes for the connections of this connector's type that <paramref name="config"/> declares; none when it
    /// declares none (then nothing is mounted). Binds and validates those connections' settings (a
    /// <see cref="ConfigException"/> for a bad one) and opens nothing, so <c>sluice check</c> calls it too.
    /// </summary>
    IReadOnlyList<HttpRoute> Routes(SluiceConfig config, HttpIngressContext context);

    /// <summary>
    /// Called once by the server before it serves <see cref="Routes"/> (only when there are some): opens what the
    /// routes write to, so that a problem shows at start rather than on the first request.
    /// </summary>
    Task OpenAsync(SluiceConfig config, CancellationToken ct) => Task.CompletedTask;
}
