using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Server.Hosting;
using Sluice.Testing;

namespace Sluice.Server.Tests.Access;

/// <summary><c>sluice run</c>'s server in this process on free ports, with a state database of its own and the given <c>server:</c> lines.</summary>
internal sealed class AdminServerBed : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly SluiceWorkspace _workspace;
    private readonly Task _run;

    private AdminServerBed(SluiceWorkspace workspace, Task run, ServerAddresses addresses, NpgsqlConnectionStringBuilder state, FakeLogCollector logs, CancellationTokenSource stop)
    {
        _workspace = workspace;
        _run = run;
        _stop = stop;
        Addresses = addresses;
        State = state;
        Logs = logs;
    }

    public ServerAddresses Addresses { get; }

    public NpgsqlConnectionStringBuilder State { get; }

    public FakeLogCollector Logs { get; }

    /// <param name="server">Lines under <c>server:</c>, indented by two spaces, e.g. <c>"  admin_token: ${TOKEN}"</c>.</param>
    /// <param name="state">The state database; a new one when null.</param>
    public static async Task<AdminServerBed> StartAsync(string name, string server = "", IReadOnlyDictionary<string, string>? environment = null,
        NpgsqlConnectionStringBuilder? state = null, string listen = "http://127.0.0.1:0", string adminListen = "http://127.0.0.1:0", string? configPath = null, bool migrate = true)
    {
        state ??= new NpgsqlConnectionStringBuilder(await TestPostgres.CreateDatabaseAsync(name));
        var yaml = $"""
            connections:
              app: {"{"}type: postgres, host: {state.Host}, port: {state.Port}, database: {state.Database}, user: {state.Username}, ssl_mode: disable{"}"}
            server:
              listen: {listen}
            {server}
            """;
        var config = SluiceConfig.Parse(yaml, configPath ?? "sluice.yaml", environment ?? new Dictionary<string, string>());
        var workspace = new SluiceWorkspace(config, TimeProvider.System);
        if (migrate)
        {
            await workspace.StateAsync(CancellationToken.None); // as `sluice run` does before it listens
        }

        var logs = new FakeLogCollector();
        var factory = new LoggerFactory([new FakeLoggerProvider(logs)]);
        var stop = new CancellationTokenSource();
        var server1 = new SluiceServer(workspace, factory);
        var run = Task.Run(() => server1.RunAsync(null, adminListen, stop.Token), CancellationToken.None);
        await Task.WhenAny(server1.Listening, run).WaitAsync(TimeSpan.FromSeconds(60));
        if (!server1.Listening.IsCompletedSuccessfully)
        {
            await run; // throws why it did not start
        }

        return new AdminServerBed(workspace, run, await server1.Listening, state, logs, stop);
    }

    public static HttpClient Client(Uri address, HttpMessageHandler? handler = null) =>
        new(handler ?? new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _run;
        await _workspace.DisposeAsync();
        _stop.Dispose();
    }
}
