using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Sluice.Core.Errors;
using Sluice.Core.Net;
using Sluice.Emulators.Internal;
using Sluice.Emulators.Segment.Internal;
using Sluice.Segment.Protocol;

namespace Sluice.Emulators.Segment;

/// <summary>
/// A local stand-in for Segment's HTTP Tracking API (<c>sluice emulate segment</c>): point a sync, or any
/// Segment client library, at <see cref="BaseUrl"/> to see exactly what it would send, without touching a
/// real workspace. It follows Segment's documented limits, responses, dedup and timestamp correction, and
/// can inject 429s, 5xx, dropped connections and slow responses.
/// </summary>
public sealed class SegmentEmulator : IAsyncDisposable
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    private readonly WebApplication _app;
    private readonly EmulatorState _state;
    private readonly CancellationTokenSource _stopping;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _disposed;

    private SegmentEmulator(WebApplication app, EmulatorState state, CancellationTokenSource stopping, Uri baseUrl)
    {
        _app = app;
        _state = state;
        _stopping = stopping;
        BaseUrl = baseUrl;
    }

    /// <summary>Where clients send, with a trailing slash: they POST <c>{BaseUrl}v1/batch</c>.</summary>
    public Uri BaseUrl { get; }

    /// <summary>A snapshot of the counters since start or the last <see cref="Reset"/>.</summary>
    public SegmentEmulatorStats Stats => _state.Store.Snapshot();

    /// <summary>
    /// Starts listening. Throws a config <see cref="SluiceException"/> for invalid options or an address
    /// that cannot be bound.
    /// </summary>
    public static async Task<SegmentEmulator> StartAsync(SegmentEmulatorOptions options, CancellationToken ct = default)
    {
        SegmentOptionsValidator.Validate(options);
        var address = ResolveAddress(options.Host);

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = typeof(SegmentEmulator).Assembly.GetName().Name });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(address, options.Port);
        });

        // No per-request logging: only Kestrel's warnings and errors, on stderr.
        builder.Logging.SetMinimumLevel(LogLevel.Warning)
            .AddSimpleConsole(console => console.SingleLine = true)
            .AddFilter("Microsoft.Hosting.Lifetime", LogLevel.None)
            // A failed start (a port in use) is logged by the host with its stack trace; it is reported once, plainly, below.
            .AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
        builder.Services.Configure<ConsoleLoggerOptions>(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Services.AddSingleton<IHostLifetime, PassiveHostLifetime>();

        var app = builder.Build();
        var stopping = new CancellationTokenSource();
        var state = new EmulatorState(options, stopping.Token);
        var tracking = new TrackingEndpoint(state);
        var admin = new AdminEndpoints(state);
        var allowed = new AllowedHosts(options.AllowedHosts, [$"http://{(address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString())}:1"]);
        app.Run(context => !IsAdmin(context.Request.Path) ? tracking.HandleAsync(context)
            : allowed.Allows(context.Request.Headers.Host.ToString()) ? admin.HandleAsync(context)
            : EmulatorHostCheck.RefuseAsync(context));

        try
        {
            await app.StartAsync(ct);
        }
        catch (Exception ex)
        {
            await app.DisposeAsync();
            stopping.Dispose();
            if (ex is IOException)
            {
                throw new SluiceException(
                    ErrorClass.Config,
                    $"The Segment emulator cannot listen on {options.Host}:{options.Port}: {ex.Message} Choose another --port (0 picks a free one) or stop the process using it.",
                    ex);
            }

            throw;
        }

        var bound = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
        return new SegmentEmulator(app, state, stopping, BaseUrlFor(address, bound.Port));
    }

    /// <summary>
    /// Distinct events received, oldest first, whose bodies are still retained (see
    /// <see cref="SegmentEmulatorOptions.RetainMessages"/>). <paramref name="type"/> filters by call type;
    /// an unknown type matches nothing.
    /// </summary>
    public IReadOnlyList<ReceivedMessage> Messages(string? type = null, int offset = 0, int limit = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        SegmentEventType? filter = null;
        if (type is not null)
        {
            if (!SegmentEventTypes.TryParse(type, out var parsed))
            {
                return [];
            }

            filter = parsed;
        }

        var selected = _state.Store.Select(filter, null, offset, limit);
        var result = new List<ReceivedMessage>(selected.Count);
        var buffer = new ArrayBufferWriter<byte>(1024);
        foreach (var message in selected)
        {
            if (MessageRenderer.ToReceivedMessage(message, buffer) is { } received)
            {
                result.Add(received);
            }
        }

        return result;
    }

    /// <summary>Replaces the fault settings for the requests that follow. Throws a config <see cref="SluiceException"/> when invalid.</summary>
    public void SetFaults(SegmentFaultOptions faults) => _state.SetFaults(faults);

    /// <summary>
    /// Pushes Engage deliveries to <see cref="SegmentEmulatorOptions.EngageWebhook"/>, in the order given (an older
    /// <see cref="EngagePush.Timestamp"/> later is out of order; <see cref="EngagePush.Times"/> retries), signed with
    /// <see cref="SegmentEmulatorOptions.EngageSecret"/>. Returns the webhook's status code for every request sent.
    /// </summary>
    public Task<IReadOnlyList<int>> PushEngageAsync(IReadOnlyList<EngagePush> pushes, CancellationToken ct = default) => _state.Engage.PushAsync(pushes, ct);

    /// <summary>Forgets every message, message id and counter.</summary>
    public void Reset() => _state.Reset();

    /// <summary>
    /// Completes when <paramref name="ct"/> is cancelled (e.g. Ctrl+C in the CLI) or the emulator is disposed.
    /// It does not throw on cancellation; dispose the emulator afterwards.
    /// </summary>
    public async Task WaitForShutdownAsync(CancellationToken ct)
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var registration = ct.Register(() => cancelled.TrySetResult());
        await Task.WhenAny(_stopped.Task, cancelled.Task);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync();
        try
        {
            using var timeout = new CancellationTokenSource(StopTimeout);
            await _app.StopAsync(timeout.Token);
        }
        finally
        {
            await _app.DisposeAsync();
            _stopping.Dispose();
            _stopped.TrySetResult();
        }
    }

    private static bool IsAdmin(PathString path) =>
        path.StartsWithSegments(AdminEndpoints.Prefix, StringComparison.Ordinal) || path.Value is null or "" or "/";

    private static IPAddress ResolveAddress(string host)
    {
        if (IPAddress.TryParse(host, out var address))
        {
            return address;
        }

        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            return IPAddress.Loopback;
        }

        try
        {
            return Dns.GetHostAddresses(host).FirstOrDefault()
                ?? throw SluiceException.Config($"The Segment emulator host \"{host}\" (--host) resolves to no address.");
        }
        catch (SocketException ex)
        {
            throw SluiceException.Config($"The Segment emulator host \"{host}\" (--host) cannot be resolved: {ex.Message}");
        }
    }

    /// <summary>A URL a local client can reach: a wildcard bind is reached through loopback.</summary>
    private static Uri BaseUrlFor(IPAddress address, int port)
    {
        if (address.Equals(IPAddress.Any))
        {
            address = IPAddress.Loopback;
        }
        else if (address.Equals(IPAddress.IPv6Any))
        {
            address = IPAddress.IPv6Loopback;
        }

        return new UriBuilder(Uri.UriSchemeHttp, address.ToString(), port, "/").Uri;
    }
}
