using System.Diagnostics;
using System.Text;
using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Emulators.Segment;
using Sluice.Server.Hosting;
using Sluice.Testing;

namespace Sluice.EndToEnd;

/// <summary>
/// A test's own sandbox: a fresh database prepared by some SQL, a Segment emulator in this process, and a
/// sluice.yaml pointing at both — what a user has after following the README.
/// </summary>
internal sealed class TestBed : IAsyncDisposable
{
    private TestBed(NpgsqlDataSource db, SegmentEmulator emulator, string directory)
    {
        Db = db;
        Emulator = emulator;
        Directory = directory;
    }

    public NpgsqlDataSource Db { get; }

    public SegmentEmulator Emulator { get; }

    public string Directory { get; }

    public string ConfigPath => Path.Combine(Directory, "sluice.yaml");

    /// <param name="name">Names the test's database.</param>
    /// <param name="setupSql">Prepares the database (tables, rows).</param>
    /// <param name="yaml">The config, given where the database and the emulator are.</param>
    /// <param name="emulator">Emulator options; the port is always a free one unless set.</param>
    public static async Task<TestBed> CreateAsync(string name, string setupSql, Func<TestBedEndpoints, string> yaml, SegmentEmulatorOptions? emulator = null)
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync(name);
        var db = NpgsqlDataSource.Create(connectionString);
        await using (var setup = db.CreateCommand(setupSql))
        {
            await setup.ExecuteNonQueryAsync();
        }

        var started = await SegmentEmulator.StartAsync(emulator ?? new SegmentEmulatorOptions { Port = 0 });
        var directory = Path.Combine(Path.GetTempPath(), $"sluice-e2e-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(directory);
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var endpoints = new TestBedEndpoints(builder.Host!, builder.Port, builder.Database!, builder.Username!, started.BaseUrl.ToString().TrimEnd('/'));
        await File.WriteAllTextAsync(Path.Combine(directory, "sluice.yaml"), yaml(endpoints));
        return new TestBed(db, started, directory);
    }

    /// <param name="environment">Variables for <c>${…}</c> in the config; the process environment when <c>null</c>.</param>
    public SluiceWorkspace Workspace(IReadOnlyDictionary<string, string>? environment = null) =>
        new(SluiceConfig.Load(ConfigPath, environment), TimeProvider.System);

    public async Task ExecuteAsync(string sql)
    {
        await using var command = Db.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    public async Task<object?> ScalarAsync(string sql)
    {
        await using var command = Db.CreateCommand(sql);
        return await command.ExecuteScalarAsync();
    }

    /// <summary>Starts the real <c>sluice</c> binary, as a user would run it.</summary>
    public Process StartSluice(params string[] args)
    {
        // As at a terminal, Ctrl-C (SIGINT) reaches sluice even when this test run was started where it is ignored
        // (a background job without job control: a child inherits the ignored signal). env execs, keeping the pid.
        var start = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Directory,
        };
        start.ArgumentList.Add("--default-signal=INT");
        start.ArgumentList.Add("dotnet");
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "sluice.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // Test classes run in parallel: a `sluice run` whose test does not look at the admin listener takes a free port
        // for it, rather than all of them fighting over the default 7081.
        if (args is ["run", ..] && !args.Contains("--admin-listen"))
        {
            start.ArgumentList.Add("--admin-listen");
            start.ArgumentList.Add("http://127.0.0.1:0");
        }

        start.Environment["NO_COLOR"] = "1";
        return Process.Start(start)!;
    }

    /// <summary>Runs the binary to its end with <paramref name="input"/> on its stdin: exit code and everything it printed.</summary>
    public async Task<(int ExitCode, string Output)> RunSluiceWithInputAsync(string input, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Directory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "sluice.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>Runs the binary to its end: exit code and everything it printed.</summary>
    public async Task<(int ExitCode, string Output)> RunSluiceAsync(params string[] args)
    {
        using var process = StartSluice(args);
        var output = new StringBuilder();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        output.Append(await stdout).Append(await stderr);
        return (process.ExitCode, output.ToString());
    }

    public async ValueTask DisposeAsync()
    {
        await Emulator.DisposeAsync();
        await Db.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // temp files; not worth failing a test over
        }
    }
}

/// <summary>Where a test bed's database and emulator are, for its config.</summary>
internal sealed record TestBedEndpoints(string Host, int Port, string Database, string User, string SegmentEndpoint)
{
    /// <summary>
    /// The config's <c>connections:</c> block (starting at column 0, so it goes first in a raw-string config):
    /// <c>app</c>, the test database, and unless <paramref name="segment"/> is false <c>segment</c>, the emulator.
    /// </summary>
    /// <param name="writeKey">The Segment connection's write key, as written in the config (may be a <c>${…}</c>).</param>
    /// <param name="requestsPerSecond">The Segment connection's <c>rate_limit</c>; the connector's default when <c>null</c>.</param>
    public string Connections(bool segment = true, string writeKey = "test-key", int? requestsPerSecond = null)
    {
        var yaml = new StringBuilder($"""
            connections:
              app:
                type: postgres
                host: {Host}
                port: {Port}
                database: {Database}
                user: {User}
            """);
        if (segment)
        {
            yaml.Append($"""

                  segment:
                    type: segment
                    write_key: {writeKey}
                    endpoint: {SegmentEndpoint}
                """);
        }

        if (segment && requestsPerSecond is { } limit)
        {
            yaml.Append($"""

                    rate_limit:
                      requests_per_second: {limit}
                """);
        }

        return yaml.ToString();
    }

    /// <summary>
    /// A whole config: <c>app</c> (the test database, also the state store), an ingest source <c>web</c> with
    /// <paramref name="writeKey"/>, and a sync <c>web_events</c> landing it in <c>public.events</c> (created on first
    /// write).
    /// </summary>
    public string IngestToEventsTable(string writeKey) => $"""
        {Connections(segment: false)}
          web:
            type: ingest
            write_key: {writeKey}
        syncs:
          web_events:
            source:
              connection: web
            destination:
              connection: app
              table: public.events
              create_table: true
        """;
}
