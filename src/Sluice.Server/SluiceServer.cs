using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Sluice.Core.Net;
using Sluice.Server.Access;
using Sluice.Server.Admin;
using Sluice.Server.Dashboard;
using Sluice.Server.Hosting;
using Sluice.Server.Ingest;
using Sluice.Server.Ingest.Internal;
using Sluice.Server.Internal;
using Sluice.Server.Notifications;
using Sluice.Server.Scheduling;
using Sluice.Server.Telemetry;

namespace Sluice.Server;

/// <summary>
/// <c>sluice run</c>: the scheduler, the ingest API on <c>server.listen</c>, and the dashboard, admin API and
/// <c>/metrics</c> on their own listener, <c>server.admin_listen</c> (127.0.0.1 only by default; a token is required
/// beyond it). Both check the <c>Host</c> header and serve <c>/healthz</c> and <c>/readyz</c>. What it does goes to
/// <paramref name="logs"/> (<see cref="Logging.ConsoleLogging"/> in the CLI).
/// </summary>
public sealed class SluiceServer(SluiceWorkspace workspace, ILoggerFactory logs)
{
    private readonly TaskCompletionSource<ServerAddresses> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes with the bound addresses once both listeners listen.</summary>
    public Task<ServerAddresses> Listening => _listening.Task;

    /// <summary>Runs until <paramref name="ct"/> is cancelled, the ingest API on <paramref name="listenOverride"/> when given.</summary>
    public Task RunAsync(string? listenOverride, CancellationToken ct) => RunAsync(listenOverride, null, ct);

    /// <summary>Runs until <paramref name="ct"/> is cancelled; the overrides (<c>--listen</c>, <c>--admin-listen</c>) win over the config.</summary>
    public async Task RunAsync(string? listenOverride, string? adminListenOverride, CancellationToken ct)
    {
        var server = workspace.Config.Server;
        var listen = listenOverride ?? server.Listen;
        var adminListen = adminListenOverride ?? server.AdminListen;
        CheckOverrides(server, listen, adminListen);
        var allowed = new AllowedHosts(server.AllowedHosts, [listen, adminListen]);
        var httpLog = logs.CreateLogger("Sluice.Server.Http");

        // The ingest API: what connectors receive over HTTP, mounted as they contribute it.
        var ingest = NewApp(listen, server.Tls is { } tls && listen.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ? ServerCertificate.Load(tls) : null, ingestTransport: true);
        ingest.UseUnhandledRequestErrors(httpLog);
        ingest.UseHostCheck(allowed);
        ingest.MapHealthProbes(workspace, httpLog);
        workspace.IngestLog = logs.CreateLogger("Sluice.Ingest");
        await ingest.MapConnectorRoutesAsync(workspace, logs.CreateLogger("Sluice.Server.Ingest"), ct);

        // The admin surface. Its OpenTelemetry pipeline serves the whole process: meters and activity sources are global.
        var admin = NewApp(adminListen, null, services => services
            .AddSluiceDashboard()
            .AddSluiceOpenTelemetry(otlp: SluiceOpenTelemetry.OtlpConfigured(Environment.GetEnvironmentVariable)));
        admin.UseUnhandledRequestErrors(httpLog);
        admin.UseHostCheck(allowed);
        admin.MapHealthProbes(workspace, httpLog);
        if (server.AdminToken is { } secret)
        {
            var token = new AdminToken(secret, workspace.Time);
            admin.UseAdminToken(token);
            admin.MapAdminLogin(token);
        }

        admin.UseCrossSiteProtection();
        var health = admin.MapAdmin(workspace, logs.CreateLogger("Sluice.Dashboard"));

        try
        {
            await StartAsync(ingest, listen, "listen", ct);
            await StartAsync(admin, adminListen, "admin_listen", ct);
            var log = logs.CreateLogger<SluiceServer>();
            log.LogInformation("ingest API on {Urls}", string.Join(", ", ingest.Urls));
            log.LogInformation("dashboard on {Urls}", string.Join(", ", admin.Urls));
            _listening.TrySetResult(new ServerAddresses(new Uri(ingest.Urls.First()), new Uri(admin.Urls.First())));

            using var alertHttp = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            await Task.WhenAll(
                new SyncScheduler(workspace, logs.CreateLogger<SyncScheduler>()).RunAsync(ct),
                workspace.RunAlertsAsync(alertHttp, logs.CreateLogger("Sluice.Alerts"), ct),
                workspace.RunNotificationsAsync(alertHttp, health, logs.CreateLogger("Sluice.Notify"), ct),
                Retention.StateRetentionLoop.RunAsync(workspace, logs.CreateLogger("Sluice.Retention"), ct));
            await Task.Delay(Timeout.Infinite, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Ctrl-C: stop quietly.
        }
        finally
        {
            _listening.TrySetCanceled(CancellationToken.None);
            await StopAsync(admin);
            await StopAsync(ingest);
        }
    }

    /// <summary>The config's rules, for addresses given on the command line instead.</summary>
    private static void CheckOverrides(ServerConfig server, string listen, string adminListen)
    {
        if (server.AdminToken is null && !LoopbackHosts.IsLoopbackUrl(adminListen))
        {
            throw SluiceException.Config(
                $"the admin listener {adminListen} would be reachable from other machines, and server.admin_token is not set; set 'admin_token: ${{SLUICE_ADMIN_TOKEN}}' under server: in the config, or listen on 127.0.0.1");
        }

        if (string.Equals(listen, adminListen, StringComparison.OrdinalIgnoreCase) && !listen.EndsWith(":0", StringComparison.Ordinal))
        {
            throw SluiceException.Config($"the ingest API and the admin listener are both {listen}; give the admin listener its own port (server.admin_listen, --admin-listen)");
        }

        if (listen.StartsWith("https://", StringComparison.OrdinalIgnoreCase) && server.Tls is null)
        {
            throw SluiceException.Config($"{listen} is https, and server.tls names no certificate; add 'tls: {{certificate: cert.pem, key: key.pem}}' under server:");
        }

        if (adminListen.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            throw SluiceException.Config("the admin listener cannot be https (server.tls serves the ingest listener); put a reverse proxy that terminates TLS in front of it (docs/deploy.md)");
        }
    }

    private static WebApplication NewApp(string url, X509Certificate2? certificate, Action<IServiceCollection>? services = null, bool ingestTransport = false)
    {
        // No reloadable appsettings.json: Sluice has none, and the watcher behind it follows the whole working directory,
        // subdirectories included. Run beside a busy directory (a PostgreSQL data directory, logs) it read every file
        // event: 11% of `sluice run`'s CPU while accepting events (perf, bench/README.md "ingest").
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });

        // ASP.NET's logging would print multi-line entries of its own; what matters (failed requests) goes to the
        // sluice log through UseUnhandledRequestErrors instead.
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(url);
        if (certificate is not null)
        {
            // The slim builder leaves HTTPS out unless asked.
            builder.WebHost.UseKestrelHttpsConfiguration();
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            if (certificate is not null)
            {
                kestrel.ConfigureHttpsDefaults(https => https.ServerCertificate = certificate);
            }
        });
        if (ingestTransport)
        {
            builder.WebHost.UseSockets(IngestTransport.Configure);
        }

        builder.Services.AddSingleton<IHostLifetime, PassiveHostLifetime>();
        services?.Invoke(builder.Services);
        return builder.Build();
    }

    private static async Task StartAsync(WebApplication app, string url, string key, CancellationToken ct)
    {
        try
        {
            await app.StartAsync(ct);
        }
        catch (IOException e)
        {
            throw SluiceException.Config($"cannot listen on {url}: {e.Message.TrimEnd('.')}; set another address with 'server: {{{key}: http://127.0.0.1:PORT}}' or --{key.Replace('_', '-')}");
        }
    }

    private static async Task StopAsync(WebApplication app)
    {
        try
        {
            await app.StopAsync(CancellationToken.None);
        }
        catch (InvalidOperationException)
        {
            // Never started (the other listener failed first).
        }

        await app.DisposeAsync();
    }
}
