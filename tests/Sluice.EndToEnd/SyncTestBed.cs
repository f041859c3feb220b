using System.Diagnostics;
using System.Text;
using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Emulators.Segment;
using Sluice.Server.Hosting;
using Sluice.Testing;

namespace Sluice.EndToEnd;

/// <summary>
/// A database with a <c>users</c> table, a Segment emulator in this process, and a sluice.yaml that
/// syncs one to the other: what a user has after following the README, in a test's own sandbox.
/// </summary>
internal sealed class SyncTestBed : IAsyncDisposable
{
    public const string SyncName = "users_to_segment";

    private SyncTestBed(NpgsqlDataSource db, SegmentEmulator emulator, string directory, string configPath)
    {
        Db = db;
        Emulator = emulator;
        Directory = directory;
        ConfigPath = configPath;
    }

    public NpgsqlDataSource Db { get; }

    public SegmentEmulator Emulator { get; }

    public string Directory { get; }

    public string ConfigPath { get; }

    /// <param name="users">Rows in <c>public.users</c>, with ids 1..users.</param>
    /// <param name="syncExtra">YAML appended inside the sync (indented by 4), e.g. <c>batch: {size: 100}</c>.</param>
    public static async Task<SyncTestBed> CreateAsync(string name, int users, string syncExtra = "", SegmentEmulatorOptions? emulator = null)
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync(name);
        var db = NpgsqlDataSource.Create(connectionString);
        await using (var setup = db.CreateCommand(
            $"""
            CREATE TABLE users (
                id bigint PRIMARY KEY,
                email text NOT NULL,
                plan text NOT NULL,
                bio text,
                updated_at timestamptz NOT NULL
            );
            CREATE INDEX users_cursor ON users (updated_at, id);
            INSERT INTO users
            SELECT i, 'user' || i || '@example.com', (ARRAY['free','trial','pro'])[1 + i % 3], NULL,
                   '2024-01-01'::timestamptz + (i / 10) * interval '1 second'
            FROM generate_series(1, {users}) i;
            """))
        {
            await setup.ExecuteNonQueryAsync();
        }

        var started = await SegmentEmulator.StartAsync(emulator ?? new SegmentEmulatorOptions { Port = 0 });
        var directory = Path.Combine(Path.GetTempPath(), $"sluice-e2e-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(directory);
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var extra = string.Join('\n', syncExtra.Split('\n').Select(l => "    " + l));
        var yaml = $"""
            connections:
              app:
                type: postgres
                host: {builder.Host}
                port: {builder.Port}
                database: {builder.Database}
                user: {builder.Username}
              segment:
                type: segment
                write_key: ${"{"}TEST_WRITE_KEY:-test-key{"}"}
                endpoint: {started.BaseUrl.ToString().TrimEnd('/')}
                rate_limit:
                  requests_per_second: 10000
            syncs:
              {SyncName}:
                source:
                  connection: app
                  table: public.users
                  cursor: updated_at
                destination:
                  connection: segment
                  call: identify
                mapping:
                  user_id: id
                  timestamp: updated_at
                  traits:
                    email: email
                    plan: plan
                    bio: bio
            {extra}

            """;
        var configPath = Path.Combine(directory, "sluice.yaml");
        await File.WriteAllTextAsync(configPath, yaml);
        return new SyncTestBed(db, started, directory, configPath);
    }

    public SluiceWorkspace Workspace() => new(SluiceConfig.Load(ConfigPath), TimeProvider.System);

    public async Task<object?> ScalarAsync(string sql)
    {
        await using var command = Db.CreateCommand(sql);
        return await command.ExecuteScalarAsync();
    }

    /// <summary>Starts the real <c>sluice</c> binary, as a user would run it.</summary>
    public Process StartSluice(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
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
        return Process.Start(start)!;
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
