using System.Net;
using System.Net.Sockets;
using Sluice.Core.Errors;
using Sluice.Emulators.Segment;

namespace Sluice.Emulators.Tests.Segment;

public sealed class LifecycleTests
{
    [Fact]
    public async Task Port_zero_picks_a_free_port_and_BaseUrl_names_it()
    {
        await using var emulator = await SegmentEmulator.StartAsync(new SegmentEmulatorOptions { Port = 0 });

        Assert.Equal("127.0.0.1", emulator.BaseUrl.Host);
        Assert.NotEqual(0, emulator.BaseUrl.Port);
        Assert.EndsWith("/", emulator.BaseUrl.AbsoluteUri, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_port_in_use_is_a_config_error_that_names_the_flag()
    {
        using var blocker = new TcpListener(IPAddress.Loopback, 0);
        blocker.Start();
        var port = ((IPEndPoint)blocker.LocalEndpoint).Port;

        var error = await Assert.ThrowsAsync<SluiceException>(() => SegmentEmulator.StartAsync(new SegmentEmulatorOptions { Port = port }));

        Assert.Equal(ErrorClass.Config, error.Class);
        Assert.Contains("--port", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_options_are_refused_before_listening()
    {
        var error = await Assert.ThrowsAsync<SluiceException>(() => SegmentEmulator.StartAsync(new SegmentEmulatorOptions
        {
            Port = 0,
            RetainMessages = -1,
            Faults = new SegmentFaultOptions { SlowRate = -0.1 },
        }));

        Assert.Contains("--retain", error.Message, StringComparison.Ordinal);
        Assert.Contains("--slow-rate", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WaitForShutdown_returns_on_cancellation_and_on_dispose()
    {
        var emulator = await SegmentEmulator.StartAsync(new SegmentEmulatorOptions { Port = 0 });
        using var cancel = new CancellationTokenSource();

        var byToken = emulator.WaitForShutdownAsync(cancel.Token);
        var byDispose = emulator.WaitForShutdownAsync(CancellationToken.None);
        Assert.False(byToken.IsCompleted);
        await cancel.CancelAsync();
        await byToken.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(byDispose.IsCompleted);
        await emulator.DisposeAsync();
        await byDispose.WaitAsync(TimeSpan.FromSeconds(5));
    }
}
