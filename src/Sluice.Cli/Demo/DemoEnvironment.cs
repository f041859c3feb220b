using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using Sluice.Postgres.Demo;
using Sluice.Postgres.Embedded;

namespace Sluice.Cli.Demo;

/// <summary>
/// Where the demo keeps its things: <c>$SLUICE_HOME</c> (default <c>./.sluice</c>) holds the demo's
/// PostgreSQL cluster and its generated <c>sluice.yaml</c>.
/// </summary>
internal static class DemoEnvironment
{
    public const string Database = "sluice_demo";
    public const string SyncName = "users_to_segment";

    public static string Home => Path.GetFullPath(Environment.GetEnvironmentVariable("SLUICE_HOME") is { Length: > 0 } home ? home : ".sluice");

    public static string DataDirectory => Path.Combine(Home, "demo", "pgdata");

    public static string ConfigPath => Path.Combine(Home, "demo", "sluice.yaml");

    public static Task<LocalCluster> StartClusterAsync(CancellationToken ct) =>
        LocalCluster.StartAsync(new LocalClusterOptions { DataDirectory = DataDirectory }, ct);

    public static async Task<DemoDatasetSummary> LoadDataAsync(LocalCluster cluster, int users, CancellationToken ct)
    {
        await cluster.CreateDatabaseAsync(Database, ct);
        await using var dataSource = NpgsqlDataSource.Create(cluster.ConnectionString(Database));
        return await DemoDataset.CreateAsync(dataSource, new DemoDatasetOptions { Users = users }, rowsLoaded: null, ct);
    }

    /// <summary>Whether the demo sync has committed a checkpoint before (so a run now would find nothing new without activity).</summary>
    public static async Task<bool> HasSyncedBeforeAsync(LocalCluster cluster, CancellationToken ct)
    {
        await using var dataSource = NpgsqlDataSource.Create(cluster.ConnectionString(Database));
        await using var command = dataSource.CreateCommand("SELECT to_regclass('sluice.checkpoints') IS NOT NULL");
        if (await command.ExecuteScalarAsync(ct) is not true)
        {
            return false;
        }

        await using var any = dataSource.CreateCommand("SELECT EXISTS (SELECT 1 FROM sluice.checkpoints)");
        return await any.ExecuteScalarAsync(ct) is true;
    }

    /// <summary>
    /// What the application would be doing: some users upgrade their plan or come back. Each change
    /// moves <c>updated_at</c>, so the next incremental run sends exactly these users.
    /// </summary>
    public static async Task<int> SimulateActivityAsync(LocalCluster cluster, int users, CancellationToken ct)
    {
        await using var dataSource = NpgsqlDataSource.Create(cluster.ConnectionString(Database));
        await using var command = dataSource.CreateCommand(
            """
            UPDATE users SET
                plan = CASE plan WHEN 'free' THEN 'trial' WHEN 'trial' THEN 'pro' ELSE plan END,
                status = CASE status WHEN 'trial' THEN 'paid' ELSE status END,
                last_seen_at = now(),
                updated_at = now()
            WHERE id IN (SELECT id FROM users ORDER BY random() LIMIT $1)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = users });
        return await command.ExecuteNonQueryAsync(ct);
    }

    public static async Task WriteConfigAsync(LocalCluster cluster, Uri segmentEndpoint, string schedule, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(ConfigPath)!);
        var yaml = $"""
            # Written by `sluice demo`: the demo cluster and the Segment emulator it started.
            # Run a sync yourself while the demo runs:  ./sluice sync {SyncName} -c {ConfigPath}
            version: 1
            connections:
              app:
                type: postgres
                host: {cluster.Host}
                port: {cluster.Port.ToString(CultureInfo.InvariantCulture)}
                database: {Database}
                user: {LocalCluster.SuperUser}
              segment:
                type: segment
                write_key: ${"{"}SEGMENT_WRITE_KEY:-demo-write-key{"}"}
                endpoint: {segmentEndpoint.ToString().TrimEnd('/')}
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
                    first_name: first_name
                    last_name: last_name
                    plan: plan
                    status: status
                    country: country
                    lifetime_value: lifetime_value
                    signed_up_at: signup_at
                schedule: {schedule}

            """;
        await File.WriteAllTextAsync(ConfigPath, yaml, ct);
    }

    /// <summary><paramref name="preferred"/> when it is free on 127.0.0.1, else any free port.</summary>
    public static int PortOr(int preferred)
    {
        try
        {
            using var probe = new TcpListener(IPAddress.Loopback, preferred);
            probe.Start();
            return preferred;
        }
        catch (SocketException)
        {
            using var any = new TcpListener(IPAddress.Loopback, 0);
            any.Start();
            return ((IPEndPoint)any.LocalEndpoint).Port;
        }
    }
}
