using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Engine;
using Sluice.Server;
using Sluice.Server.Hosting;
using Sluice.Testing;

namespace Sluice.EndToEnd.Ingest;

/// <summary>
/// A connector that receives data over HTTP (<see cref="IHttpIngress"/>) gets its routes served by <c>sluice run</c>'s
/// web server, without the server knowing the connector: here a test connector, <c>type: echo</c>.
/// </summary>
public sealed partial class ConnectorRoutesTests
{
    [Fact]
    public async Task A_route_a_connector_contributes_is_served_by_the_server()
    {
        var echo = new EchoConnector();
        await using var server = await RunningServer.StartAsync(nameof(A_route_a_connector_contributes_is_served_by_the_server), echo, declareEcho: true);

        using var request = new HttpRequestMessage(HttpMethod.Put, "/hooks/orders") { Content = new StringContent("ping", Encoding.UTF8, "text/plain") };
        request.Headers.Add("X-Greeting", "hello");
        var response = await server.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("PUT /hooks/orders hello: ping (from hooks)", await response.Content.ReadAsStringAsync());
        Assert.Equal("yes", Assert.Single(response.Headers.GetValues("X-Echoed")));
        Assert.Equal(1, echo.Opened);
    }

    [Fact]
    public async Task A_connector_whose_type_no_connection_uses_has_nothing_mounted()
    {
        var echo = new EchoConnector();
        await using var server = await RunningServer.StartAsync(nameof(A_connector_whose_type_no_connection_uses_has_nothing_mounted), echo, declareEcho: false);

        var response = await server.Http.PostAsync("/hooks/orders", new StringContent("ping"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(0, echo.Opened);
    }

    [GeneratedRegex(@"ingest API on (http://\S+)")]
    private static partial Regex IngestLine();

    /// <summary><c>sluice run</c>'s server in this process, on a free port, with the echo connector registered.</summary>
    private sealed class RunningServer : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop;
        private readonly Task _run;
        private readonly SluiceWorkspace _workspace;

        private RunningServer(SluiceWorkspace workspace, CancellationTokenSource stop, Task run, Uri address)
        {
            _workspace = workspace;
            _stop = stop;
            _run = run;
            Http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        }

        public HttpClient Http { get; }

        public static async Task<RunningServer> StartAsync(string name, EchoConnector echo, bool declareEcho)
        {
            var db = new Npgsql.NpgsqlConnectionStringBuilder(await TestPostgres.CreateDatabaseAsync(name));
            var yaml = $"""
                connections:
                  app: {"{"}type: postgres, host: {db.Host}, port: {db.Port}, database: {db.Database}, user: {db.Username}{"}"}
                {(declareEcho ? "  hooks: {type: echo}" : "")}
                """;
            var workspace = new SluiceWorkspace(SluiceConfig.Parse(yaml, "sluice.yaml"), TimeProvider.System, [.. SluiceWorkspace.DefaultConnectors(), echo]);
            var logs = new Microsoft.Extensions.Logging.Testing.FakeLogCollector();
            var factory = new Microsoft.Extensions.Logging.LoggerFactory([new Microsoft.Extensions.Logging.Testing.FakeLoggerProvider(logs)]);
            var stop = new CancellationTokenSource();
            var run = Task.Run(() => new SluiceServer(workspace, factory).RunAsync("http://127.0.0.1:0", "http://127.0.0.1:0", stop.Token), CancellationToken.None);
            IEnumerable<string> log() => logs.GetSnapshot().Select(r => r.Message);
            Uri? address = null;
            await Eventually.HoldsAsync(
                () =>
                {
                    Assert.False(run.IsFaulted, run.Exception?.ToString());
                    address = log().Select(l => IngestLine().Match(l)).Where(m => m.Success).Select(m => new Uri(m.Groups[1].Value)).FirstOrDefault();
                    return address is not null;
                },
                "the server to listen",
                state: () => string.Join("\n", log()));
            return new RunningServer(workspace, stop, run, address!);
        }

        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            await _stop.CancelAsync();
            await _run;
            await _workspace.DisposeAsync();
            _stop.Dispose();
        }
    }

    /// <summary>
    /// <c>type: echo</c>: one route, <c>/hooks/{name}</c>, answering 201 with what it was sent. Its connections are
    /// neither sources nor destinations.
    /// </summary>
    private sealed class EchoConnector : IConnector, IHttpIngress
    {
        private int _opened;

        public int Opened => _opened;

        public string Type => "echo";

        public Task CheckConnectionAsync(ConnectionConfig connection, ConnectorResources resources, CancellationToken ct) => Task.CompletedTask;

        public ISource CreateSource(SyncConfig sync, ConnectionConfig connection, ConnectorResources resources) => throw new NotSupportedException();

        public IDestination CreateDestination(SyncConfig sync, ConnectionConfig connection, ConnectorResources resources) => throw new NotSupportedException();

        public RateLimitOptions RateLimit(ConnectionConfig connection) => new();

        public IReadOnlyList<HttpRoute> Routes(SluiceConfig config, HttpIngressContext context)
        {
            var connections = config.Connections.Where(c => c.Type == Type).Select(c => c.Name).ToList();
            return connections.Count == 0 ? [] : [new HttpRoute("/hooks/{name}", request => AnswerAsync(request, connections[0]))];
        }

        public Task OpenAsync(SluiceConfig config, CancellationToken ct)
        {
            Interlocked.Increment(ref _opened);
            return Task.CompletedTask;
        }

        private static async Task<HttpIngressResponse> AnswerAsync(HttpIngressRequest request, string connection)
        {
            using var reader = new StreamReader(request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync(request.Aborted);
            var text = $"{request.Method} {request.Path} {request.Header("X-Greeting")}: {body} (from {connection})";
            return new HttpIngressResponse(201, Encoding.UTF8.GetBytes(text), "text/plain") { Headers = [new("X-Echoed", "yes")] };
        }
    }
}
