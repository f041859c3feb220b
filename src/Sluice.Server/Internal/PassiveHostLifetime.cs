using Microsoft.Extensions.Hosting;

namespace Sluice.Server.Internal;

/// <summary>
/// Keeps the dashboard's web host from hooking Ctrl+C and SIGTERM: the CLI owns the process signals and
/// stops the server through its cancellation token. (ASP.NET's console lifetime would swallow the signal.)
/// </summary>
internal sealed class PassiveHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
