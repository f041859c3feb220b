using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Npgsql;
using Sluice.Core.Errors;

namespace Sluice.Dev.Embedded;

/// <summary>
/// A PostgreSQL cluster that Sluice runs itself: <c>initdb</c> into a directory of its own, a port on
/// 127.0.0.1, <c>wal_level=logical</c>. Used by <c>sluice demo</c>, the tests and the benchmarks.
/// </summary>
/// <remarks>
/// PostgreSQL refuses to run as root, so when we are root the cluster belongs to the <c>postgres</c>
/// OS user and every server binary runs through <c>runuser</c>. A cluster left running by an earlier
/// process is reused rather than started twice.
/// </remarks>
public sealed class LocalCluster : IAsyncDisposable
{
    public const string SuperUser = "postgres";
    /// <summary>The OS user the server runs as when we are root (PostgreSQL refuses to run as root).</summary>
    internal const string ServiceUser = "postgres";

    private readonly string _binDirectory;
    private readonly bool _ownsProcess;

    private LocalCluster(string dataDirectory, int port, string binDirectory, bool ownsProcess)
    {
        DataDirectory = dataDirectory;
        Port = port;
        _binDirectory = binDirectory;
        _ownsProcess = ownsProcess;
    }

    public string DataDirectory { get; }

    public int Port { get; }

    public string Host => "127.0.0.1";

    /// <summary>Whether this object started the server (and so stops it on dispose when asked to).</summary>
    public bool StartedHere => _ownsProcess;

    public string ConnectionString(string database = "postgres") =>
        new NpgsqlConnectionStringBuilder
        {
            Host = Host,
            Port = Port,
            Database = database,
            Username = SuperUser,
            Pooling = true,
            MaxPoolSize = 50,
        }.ConnectionString;

    public static async Task<LocalCluster> StartAsync(LocalClusterOptions options, CancellationToken ct = default)
    {
        var bin = options.BinDirectory ?? await FindBinDirectoryAsync(ct);
        var dataDirectory = Path.GetFullPath(options.DataDirectory);

        if (!File.Exists(Path.Combine(dataDirectory, "PG_VERSION")))
        {
            await InitDbAsync(bin, dataDirectory, ct);
        }

        var running = await TryFindRunningAsync(dataDirectory, ct);
        if (running is { } runningPort)
        {
            return new LocalCluster(dataDirectory, runningPort, bin, ownsProcess: false);
        }

        var port = options.Port != 0 ? options.Port : FreePort();
        await WriteSettingsAsync(dataDirectory, port, options, ct);
        var log = Path.Combine(dataDirectory, "server.log");
        await RunAsync(bin, "pg_ctl", ["-D", dataDirectory, "-l", log, "-w", "-t", "60", "-o", $"-p {port}", "start"], failure: output => $"PostgreSQL did not start in {dataDirectory}: {output}\nlast lines of {log}:\n{Tail(log)}", ct);
        var cluster = new LocalCluster(dataDirectory, port, bin, ownsProcess: true);
        await cluster.WaitUntilReadyAsync(ct);
        return cluster;
    }

    public async Task CreateDatabaseAsync(string name, CancellationToken ct = default)
    {
        await using var connection = new NpgsqlConnection(ConnectionString());
        await connection.OpenAsync(ct);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection);
        exists.Parameters.Add(new NpgsqlParameter { Value = name });
        if (await exists.ExecuteScalarAsync(ct) is null)
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE {QuoteIdentifier(name)}", connection);
            await create.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>Stops the server. <paramref name="immediate"/> skips the shutdown checkpoint (tests).</summary>
    public async Task StopAsync(bool immediate = false, CancellationToken ct = default)
    {
        NpgsqlConnection.ClearAllPools();
        await RunAsync(_binDirectory, "pg_ctl", ["-D", DataDirectory, "-m", immediate ? "immediate" : "fast", "-w", "stop"], failure: output => $"PostgreSQL did not stop: {output}", ct);
    }

    /// <summary>
    /// Whether the OS user the server runs as (<c>postgres</c> when we are root, else ourselves) can reach
    /// <paramref name="path"/>, or, while it does not exist, the nearest directory above it that does: every
    /// directory on the way must let that user through.
    /// </summary>
    public static async Task<bool> ServerCanReachAsync(string path, CancellationToken ct = default)
    {
        var existing = Path.GetFullPath(path);
        while (!Directory.Exists(existing) && Path.GetDirectoryName(existing) is { } parent)
        {
            existing = parent;
        }

        try
        {
            // test(1) asks access(2) as that user, so ACLs and every parent's mode count as the server would meet them.
            await RunProcessAsync("test", ["-x", existing], asServiceUser: IsRoot, failure: o => o, ct);
            return true;
        }
        catch (SluiceException)
        {
            return false;
        }
    }

    /// <summary>
    /// Stops the server running in <paramref name="dataDirectory"/>, if there is one, and deletes the directory.
    /// Returns whether there was anything to remove.
    /// </summary>
    public static async Task<bool> RemoveAsync(string dataDirectory, CancellationToken ct = default)
    {
        dataDirectory = Path.GetFullPath(dataDirectory);
        if (!Directory.Exists(dataDirectory))
        {
            return false;
        }

        if (await IsServerRunningAsync(dataDirectory, ct))
        {
            var bin = await FindBinDirectoryAsync(ct);
            NpgsqlConnection.ClearAllPools();
            await RunAsync(bin, "pg_ctl", ["-D", dataDirectory, "-m", "fast", "-w", "stop"], failure: output => $"PostgreSQL in {dataDirectory} did not stop: {output}", ct);
        }

        Directory.Delete(dataDirectory, recursive: true);
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        if (_ownsProcess)
        {
            await StopAsync(immediate: false);
        }
    }

    private static async Task InitDbAsync(string bin, string dataDirectory, CancellationToken ct)
    {
        Directory.CreateDirectory(dataDirectory);
        if (IsRoot)
        {
            await RunProcessAsync("chown", ["-R", $"{ServiceUser}:{ServiceUser}", dataDirectory], asServiceUser: false, failure: o => $"could not hand {dataDirectory} to the '{ServiceUser}' OS user: {o}", ct);
            // initdb, run as postgres, must be able to reach the directory through every parent.
            await RunProcessAsync("test", ["-x", dataDirectory], asServiceUser: true, failure: _ => $"the '{ServiceUser}' OS user cannot reach {dataDirectory}; choose a data directory outside /root or make its parents world-executable", ct);
        }

        await RunAsync(bin, "initdb", ["-D", dataDirectory, "-U", SuperUser, "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-instructions"], failure: output => $"initdb failed for {dataDirectory}: {output}", ct);
    }

    private static async Task WriteSettingsAsync(string dataDirectory, int port, LocalClusterOptions options, CancellationToken ct)
    {
        var settings = new Dictionary<string, string>
        {
            ["listen_addresses"] = "'127.0.0.1'",
            ["port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // No Unix socket: /var/run/postgresql may not exist or be writable, and TCP on loopback is all we use.
            ["unix_socket_directories"] = "''",
            ["wal_level"] = "logical",
            ["max_wal_senders"] = "20",
            ["max_replication_slots"] = "20",
            ["max_connections"] = "200",
            ["logging_collector"] = "off",
        };
        if (!options.Durable)
        {
            settings["fsync"] = "off";
            settings["synchronous_commit"] = "off";
            settings["full_page_writes"] = "off";
        }

        foreach (var (key, value) in options.Settings)
        {
            settings[key] = value;
        }

        var text = new StringBuilder("# Written by sluice on every start; edit LocalClusterOptions.Settings instead.\n");
        foreach (var (key, value) in settings)
        {
            text.Append(key).Append(" = ").Append(value).Append('\n');
        }

        var path = Path.Combine(dataDirectory, "postgresql.auto.conf");
        await File.WriteAllTextAsync(path, text.ToString(), ct);
        if (IsRoot)
        {
            await RunProcessAsync("chown", [$"{ServiceUser}:{ServiceUser}", path], asServiceUser: false, failure: o => o, ct);
        }
    }

    /// <summary>A server already running on this data directory, from its <c>postmaster.pid</c>.</summary>
    private static async Task<int?> TryFindRunningAsync(string dataDirectory, CancellationToken ct)
    {
        var pidFile = Path.Combine(dataDirectory, "postmaster.pid");
        if (!File.Exists(pidFile))
        {
            return null;
        }

        // postmaster.pid: line 1 the pid, line 4 the port.
        var lines = await File.ReadAllLinesAsync(pidFile, ct);
        if (lines.Length < 4 || !int.TryParse(lines[0], out var pid) || !int.TryParse(lines[3], out var port))
        {
            return null;
        }

        if (!Directory.Exists($"/proc/{pid}"))
        {
            return null; // stale file from a crash; pg_ctl start copes with it
        }

        try
        {
            await using var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={port};Username={SuperUser};Database=postgres;Timeout=5");
            await connection.OpenAsync(ct);
            return port;
        }
        catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether the postmaster named in <c>postmaster.pid</c> is alive and serves this directory (its command line names
    /// it): a pid left by a crash may belong to another process by now, which must not be signalled.
    /// </summary>
    private static async Task<bool> IsServerRunningAsync(string dataDirectory, CancellationToken ct)
    {
        var pidFile = Path.Combine(dataDirectory, "postmaster.pid");
        if (!File.Exists(pidFile))
        {
            return false;
        }

        var lines = await File.ReadAllLinesAsync(pidFile, ct);
        if (lines.Length == 0 || !int.TryParse(lines[0], out var pid))
        {
            return false;
        }

        try
        {
            var arguments = (await File.ReadAllTextAsync($"/proc/{pid}/cmdline", ct)).Split('\0');
            return arguments.Contains(dataDirectory, StringComparer.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // no such process (any more)
        }
    }

    /// <summary>Whether <paramref name="path"/> belongs to the OS user we run as (not a link: stat does not follow it).</summary>
    internal static async Task<bool> IsOwnedByUsAsync(string path, CancellationToken ct)
    {
        var owner = await RunProcessAsync("stat", ["--format=%u", "--", path], asServiceUser: false, failure: o => $"could not stat {path}: {o}", ct);
        return uint.TryParse(owner.Trim(), out var uid) && uid == geteuid();
    }

    private async Task WaitUntilReadyAsync(CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await using var connection = new NpgsqlConnection(ConnectionString());
                await connection.OpenAsync(ct);
                return;
            }
            catch (NpgsqlException) when (attempt < 100)
            {
                await Task.Delay(100, ct);
            }
        }
    }

    private static async Task<string> FindBinDirectoryAsync(CancellationToken ct)
    {
        try
        {
            var output = await RunProcessAsync("pg_config", ["--bindir"], asServiceUser: false, failure: o => o, ct);
            var dir = output.Trim();
            if (File.Exists(Path.Combine(dir, "initdb")))
            {
                return dir;
            }
        }
        catch (SluiceException)
        {
            // fall through to the Debian layout
        }

        var debian = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderDescending().FirstOrDefault()
            : null;
        return debian ?? throw SluiceException.Fatal(
            "PostgreSQL's server binaries were not found (no pg_config --bindir, nothing under /usr/lib/postgresql); install them with 'apt-get install postgresql'");
    }

    private static Task<string> RunAsync(string bin, string tool, IReadOnlyList<string> args, Func<string, string> failure, CancellationToken ct) =>
        RunProcessAsync(Path.Combine(bin, tool), args, asServiceUser: IsRoot, failure, ct);

    private static async Task<string> RunProcessAsync(string file, IReadOnlyList<string> args, bool asServiceUser, Func<string, string> failure, CancellationToken ct)
    {
        var start = new ProcessStartInfo
        {
            FileName = asServiceUser ? "runuser" : file,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        if (asServiceUser)
        {
            foreach (var a in new[] { "-u", ServiceUser, "--", file })
            {
                start.ArgumentList.Add(a);
            }
        }

        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw SluiceException.Fatal($"could not start {file}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw SluiceException.Fatal(failure($"{file} could not be run: {e.Message}"), e);
        }

        using (process)
        {
            // pg_ctl start leaves the server holding inherited pipes; read until the tool itself exits, not to EOF.
            var stdout = new StringBuilder();
            var stderr = new StringBuilder();
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (stdout) { stdout.AppendLine(e.Data); } } };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (stderr) { stderr.AppendLine(e.Data); } } };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            await process.WaitForExitAsync(ct);
            string output;
            lock (stdout)
            {
                lock (stderr)
                {
                    output = (stdout.ToString() + stderr).Trim();
                }
            }

            if (process.ExitCode != 0)
            {
                throw SluiceException.Fatal(failure(output));
            }

            return output;
        }
    }

    private static string Tail(string path)
    {
        try
        {
            return string.Join('\n', File.ReadLines(path).TakeLast(15));
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    internal static bool IsRoot => OperatingSystem.IsLinux() && geteuid() == 0;

    [DllImport("libc", SetLastError = false)]
    private static extern uint geteuid();

    internal static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
