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
using Sluice.Emulators.Salesforce.Internal;
using Sluice.Emulators.Salesforce.Org;
using Sluice.Emulators.Salesforce.Streaming;
using Codes = Sluice.Emulators.Salesforce.Org.StatusCodes;
using HttpStatus = Microsoft.AspNetCore.Http.StatusCodes;
using PassiveHostLifetime = Sluice.Emulators.Segment.Internal.PassiveHostLifetime;

namespace Sluice.Emulators.Salesforce;

/// <summary>
/// A Salesforce org in memory behind Salesforce's own endpoints (<c>sluice emulate salesforce</c>): OAuth 2.0
/// token flows, REST (describe, CRUD, upsert, collections, composite, limits), the org's validation rules and
/// Salesforce's answers. Point a client's login URL (or instance URL) at <see cref="InstanceUrl"/> to preview a
/// sync without touching a real org; inspect the result through <see cref="Org"/>, <see cref="Requests"/> or
/// the admin API under <c>/__emulator</c>.
/// </summary>
public sealed class SalesforceEmulator : IAsyncDisposable
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    private readonly WebApplication _app;
    private readonly SalesforceState _state;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _disposed;

    private SalesforceEmulator(WebApplication app, SalesforceState state, Uri baseUrl)
    {
        _app = app;
        _state = state;
        BaseUrl = baseUrl;
    }

    /// <summary>The emulator's root with a trailing slash, e.g. <c>http://127.0.0.1:9200/</c>.</summary>
    public Uri BaseUrl { get; }

    /// <summary>The login URL and the <c>instance_url</c> tokens carry, without a trailing slash.</summary>
    public string InstanceUrl => _state.BaseUrl;

    /// <summary>The org: schemas, records, the save path. Writes through it follow the same rules as the API's.</summary>
    public SalesforceOrg Org => _state.Org;

    /// <summary>A snapshot of the counters.</summary>
    public SalesforceEmulatorStats Stats => _state.Snapshot();

    /// <summary>The request log, oldest first (admin calls excluded).</summary>
    public IReadOnlyList<RecordedRequest> Requests => _state.Log();

    /// <summary>Starts listening. Throws a config <see cref="SluiceException"/> for an address that cannot be bound or an invalid org.</summary>
    public static async Task<SalesforceEmulator> StartAsync(SalesforceEmulatorOptions options, CancellationToken ct = default)
    {
        if (options.Port is < 0 or > 65535)
        {
            throw SluiceException.Config($"The Salesforce emulator port {options.Port} (--port) is not a TCP port; use 1-65535, or 0 for a free one.");
        }

        if (options.TokenTtl <= TimeSpan.Zero)
        {
            throw SluiceException.Config("The token lifetime (--token-ttl) must be positive, e.g. 2h or 30s.");
        }

        var address = ResolveAddress(options.Host);
        var state = new SalesforceState(options);
        state.SetFaults(options.Faults);

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = typeof(SalesforceEmulator).Assembly.GetName().Name });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = 160L * 1024 * 1024;
            kestrel.Listen(address, options.Port);
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning)
            .AddSimpleConsole(console => console.SingleLine = true)
            .AddFilter("Microsoft.Hosting.Lifetime", LogLevel.None)
            // A failed start (a port in use) is logged by the host with its stack trace; it is reported once, plainly, below.
            .AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
        builder.Services.Configure<ConsoleLoggerOptions>(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Services.AddSingleton<IHostLifetime, PassiveHostLifetime>();

        var app = builder.Build();
        var oauth = new OAuthEndpoint(state, options.RotateRefreshTokens);
        var soap = new SoapLoginEndpoint(state);
        var rest = new RestApi(state);
        var admin = new AdminEndpoints(state);
        var cometd = new BayeuxEndpoint(state, app.Lifetime.ApplicationStopping);
        var allowed = new AllowedHosts(options.AllowedHosts, [$"http://{(address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString())}:1"]);
        app.Run(context => RouteAsync(context, state, oauth, soap, rest, admin, cometd, allowed));

        try
        {
            await app.StartAsync(ct);
        }
        catch (Exception ex)
        {
            await app.DisposeAsync();
            if (ex is IOException)
            {
                throw new SluiceException(
                    ErrorClass.Config,
                    $"The Salesforce emulator cannot listen on {options.Host}:{options.Port}: {ex.Message} Choose another --port (0 picks a free one) or stop the process using it.",
                    ex);
            }

            throw;
        }

        var bound = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
        var baseUrl = BaseUrlFor(address, bound.Port);
        state.BaseUrl = baseUrl.GetLeftPart(UriPartial.Authority);
        return new SalesforceEmulator(app, state, baseUrl);
    }

    /// <summary>Issues an access token for <paramref name="username"/> (default: the org's first user) without an OAuth round trip.</summary>
    public string IssueToken(string? username = null)
    {
        var name = username ?? Org.Definition.Users[0].Username;
        var userId = Org.UserId(name) ?? throw new ArgumentException($"The org has no user {name}.", nameof(username));
        return _state.Tokens.Issue(userId, "admin").AccessToken;
    }

    /// <summary>Makes every token issued so far expire now; logins and refreshes afterwards get working tokens.</summary>
    public int ExpireTokens() => _state.Tokens.ExpireAll();

    /// <summary>Sets the daily API request counter (and optionally the limit), e.g. to test behaviour near the limit.</summary>
    public void SetApiUsage(int used, int? limit = null)
    {
        if (limit is { } max)
        {
            _state.Usage.Limit = max;
        }

        _state.Usage.Set(used);
    }

    /// <summary>Replaces the fault settings for the requests that follow. Throws a config <see cref="SluiceException"/> when invalid.</summary>
    public void SetFaults(SalesforceFaultOptions faults) => _state.SetFaults(faults);

    /// <summary>Replaces the Change Data Capture settings (retention, gap events, overflow threshold, long-poll wait). Throws a config <see cref="SluiceException"/> when invalid.</summary>
    public void SetStreaming(SalesforceStreamingOptions options) => _state.Streaming.Options = options;

    /// <summary>The Change Data Capture settings in force.</summary>
    public SalesforceStreamingOptions StreamingOptions => _state.Streaming.Options;

    /// <summary>Drops every retained change event, as if the retention had passed: replaying from an earlier replay id fails. Returns how many were dropped.</summary>
    public int ExpireChangeEvents() => _state.Streaming.Expire();

    /// <summary>The replay id of the newest change event published (0 before the first).</summary>
    public long LatestReplayId => _state.Streaming.Latest;

    /// <summary>Forgets records (users stay), the delete log, retained change events, the request log, counters and API usage.</summary>
    public void Reset() => _state.Reset();

    /// <summary>Completes when <paramref name="ct"/> is cancelled or the emulator is disposed; does not throw on cancellation.</summary>
    public async Task WaitForShutdownAsync(CancellationToken ct)
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var registration = ct.Register(() => cancelled.TrySetResult());
        await Task.WhenAny(_stopped.Task, cancelled.Task);
    }

    /// <summary>Stops listening.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(StopTimeout);
            await _app.StopAsync(timeout.Token);
        }
        finally
        {
            await _app.DisposeAsync();
            _stopped.TrySetResult();
        }
    }

    private static async Task RouteAsync(HttpContext context, SalesforceState state, OAuthEndpoint oauth, SoapLoginEndpoint soap, RestApi rest, AdminEndpoints admin, BayeuxEndpoint cometd,
        AllowedHosts allowed)
    {
        var path = context.Request.Path;
        if (path.Value is null or "" or "/" || path.StartsWithSegments(AdminEndpoints.Prefix, StringComparison.Ordinal))
        {
            await (allowed.Allows(context.Request.Headers.Host.ToString()) ? admin.HandleAsync(context) : EmulatorHostCheck.RefuseAsync(context));
            return;
        }

        var arrived = state.Time.GetUtcNow();
        var logged = 0;
        void Log(int status)
        {
            if (Interlocked.Exchange(ref logged, 1) == 0)
            {
                var callOptions = context.Request.Headers["Sforce-Call-Options"].ToString();
                state.Record(new RecordedRequest(
                    arrived,
                    context.Request.Method,
                    path.Value + context.Request.QueryString.Value,
                    status,
                    callOptions.Length > 0 ? callOptions : null,
                    context.Items[RestApi.FaultKey] as string));
            }
        }

        // Logged as the answer starts, before the client can see it: a test that reads the log right after its
        // call returns finds the call there.
        context.Response.OnStarting(() =>
        {
            Log(context.Response.StatusCode);
            return Task.CompletedTask;
        });
        try
        {
            if (path.Equals(OAuthEndpoint.TokenPath, StringComparison.Ordinal))
            {
                await oauth.TokenAsync(context);
            }
            else if (path.Equals(OAuthEndpoint.RevokePath, StringComparison.Ordinal))
            {
                await oauth.RevokeAsync(context);
            }
            else if (path.Value!.StartsWith(SoapLoginEndpoint.Prefix, StringComparison.Ordinal))
            {
                await soap.HandleAsync(context);
            }
            else if (path.StartsWithSegments(RestApi.Prefix, StringComparison.Ordinal))
            {
                await rest.HandleAsync(context);
            }
            else if (path.StartsWithSegments(BayeuxEndpoint.Prefix, StringComparison.Ordinal))
            {
                await cometd.HandleAsync(context);
            }
            else
            {
                await SalesforceResponses.ErrorAsync(context, 404, Codes.NotFound, "The requested resource does not exist");
            }
        }
        finally
        {
            if (context.Items[RestApi.FaultKey] as string == "dropped")
            {
                Log(0);
            }
        }
    }

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
                ?? throw SluiceException.Config($"The Salesforce emulator host \"{host}\" (--host) resolves to no address.");
        }
        catch (SocketException ex)
        {
            throw SluiceException.Config($"The Salesforce emulator host \"{host}\" (--host) cannot be resolved: {ex.Message}");
        }
    }

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
