using Microsoft.Extensions.Hosting;

namespace Sluice.Emulators.Segment.Internal;

/// <summary>
/// Keeps the embedded web host from hooking Ctrl+C and SIGTERM: the emulator is a library, and its host
/// (the CLI, a test) owns the process signals and stops it through <see cref="SegmentEmulator.DisposeAsync"/>.
/// </summary>
internal sealed class PassiveHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
