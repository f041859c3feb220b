using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Npgsql;
using Sluice.Dev.Demo;
using Sluice.Dev.Embedded;

namespace Sluice.Cli.Demo;

/// <summary>
/// Where the demo keeps its things: <c>$SLUICE_HOME</c> (default <c>./.sluice</c>) holds the demo's generated
/// <c>sluice.yaml</c> and, when the server's OS user can reach it, the demo's PostgreSQL cluster; as root with a
/// home the <c>postgres</c> OS user cannot reach, the cluster lives in <c>/var/lib/sluice/demo-&lt;hash of $SLUICE_HOME&gt;</c>.
/// </summary>
internal static class DemoEnvironment
{
    public const string Database = "sluice_demo";
    public const string SyncName = "users_to_segment";
    public const string RealTimeSyncName = "upgrades_to_segment";
    public const string WarehouseSchema = "web";

    public static string Home => Path.GetFullPath(Environment.GetEnvironmentVariable("SLUICE_HOME") is { Length: > 0 } home ? home : ".sluice");

    /// <summary>Where the cluster lives when the server can reach it.</summary>
    public static string PreferredDataDirectory => Path.Combine(Home, "demo", "pgdata");

    public static string ConfigPath => Path.Combine(Home, "demo", "sluice.yaml");

    /// <summary>
    /// The cluster's directory name outside the home: one per home (so per checkout, whose <c>./.sluice</c> it is by
    /// default), the same on every run, and two checkouts never share a cluster.
    /// </summary>
    public static string RelocatedName =>
        "demo-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Home)))[..12];

    public static Task<DataDirectoryChoice> ChooseDataDirectoryAsync(CancellationToken ct) =>
        DataDirectoryPlacement.ChooseAsync(PreferredDataDirectory, RelocatedName, DataDirectoryPlacement.DefaultFallbackRoots, ct);

    /// <summary>Everywhere this home's demo cluster may be (what <c>--reset</c> removes).</summary>
    public static IReadOnlyList<string> DataDirectoryCandidates =>
        DataDirectoryPlacement.Candidates(PreferredDataDirectory, RelocatedName, DataDirectoryPlacement.DefaultFallbackRoots);

    public static Task<LocalCluster> StartClusterAsync(string dataDirectory, CancellationToken ct) =>
        LocalCluster.StartAsync(new LocalClusterOptions { DataDirectory = dataDirectory }, ct);

    public static async Task<DemoDatasetSummary> LoadDataAsync(LocalCluster cluster, int users, CancellationToken ct)
    {
        await cluster.CreateDatabaseAsync(Database, ct);
        await using var dataSource = NpgsqlDataSource.Create(cluster.ConnectionString(Database));
        var summary = await DemoDataset.CreateAsync(dataSource, new DemoDatasetOptions { Users = users }, rowsLoaded: null, ct);
        // The real-time sync fires on a status transition, which needs the old row in the WAL (see docs/cdc.md).
        await using var identity = dataSource.CreateCommand("ALTER TABLE users REPLICA IDENTITY FULL");
        await identity.ExecuteNonQueryAsync(ct);
        return summary;
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
    /// What the application would be doing: some users upgrade their plan or come back. Each change moves
    /// <c>updated_at</c>, so the next incremental run sends exactly these users; and each trial user among them
    /// becomes paid, which the real-time sync sends as a <c>Subscription Upgraded</c> track.
    /// </summary>
    public static async Task<DemoActivity> SimulateActivityAsync(LocalCluster cluster, int users, CancellationToken ct)
    {
        await using var dataSource = NpgsqlDataSource.Create(cluster.ConnectionString(Database));
        await using var command = dataSource.CreateCommand(
            """
            WITH picked AS (SELECT id, status AS was FROM users ORDER BY random() LIMIT $1 FOR UPDATE)
            UPDATE users u SET
                plan = CASE u.plan WHEN 'free' THEN 'trial' WHEN 'trial' THEN 'pro' ELSE u.plan END,
                status = CASE u.status WHEN 'trial' THEN 'paid' ELSE u.status END,
                last_seen_at = now(),
                updated_at = now()
            FROM picked p
            WHERE u.id = p.id
            RETURNING p.was = 'trial'
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = users });
        int changed = 0, upgraded = 0;
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            changed++;
            upgraded += reader.GetBoolean(0) ? 1 : 0;
        }

        return new DemoActivity(changed, upgraded);
    }

    /// <summary>The server's WAL position now: once a slot has confirmed it, every earlier change was delivered.</summary>
    public static async Task<ulong> CurrentWalPositionAsync(LocalCluster cluster, CancellationToken ct)
    {
        await using var dataSource = NpgsqlDataSource.Create(cluster.ConnectionString(Database));
        await using var command = dataSource.CreateCommand("SELECT (pg_current_wal_lsn() - '0/0')::bigint");
        return (ulong)(long)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>How far the real-time sync's slot has confirmed delivery; null while it does not exist yet.</summary>
    public static async Task<ulong?> ConfirmedPositionAsync(LocalCluster cluster, CancellationToken ct)
    {
        await using var dataSource = NpgsqlDataSource.Create(cluster.ConnectionString(Database));
        await using var command = dataSource.CreateCommand("SELECT (confirmed_flush_lsn - '0/0')::bigint FROM pg_replication_slots WHERE slot_name = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = Postgres.Cdc.CdcNames.SlotFor(RealTimeSyncName) });
        return await command.ExecuteScalarAsync(ct) is long position ? (ulong)position : null;
    }

    /// <summary>Rows landed so far by the two ingest syncs (0 for a table not created yet).</summary>
    public static async Task<DemoLanded> LandedAsync(LocalCluster cluster, CancellationToken ct)
    {
        await using var dataSource = NpgsqlDataSource.Create(cluster.ConnectionString(Database));
        return new DemoLanded(
            await CountAsync(dataSource, "public.events", ct),
            await CountAsync(dataSource, $"{WarehouseSchema}.tracks", ct),
            await CountAsync(dataSource, $"{WarehouseSchema}.pages", ct),
            await CountAsync(dataSource, $"{WarehouseSchema}.identifies", ct));
    }

    private static async Task<long> CountAsync(NpgsqlDataSource dataSource, string table, CancellationToken ct)
    {
        // The names are the demo's own constants, never input.
        await using var exists = dataSource.CreateCommand("SELECT to_regclass($1) IS NOT NULL");
        exists.Parameters.Add(new NpgsqlParameter { Value = table });
        if (await exists.ExecuteScalarAsync(ct) is not true)
        {
            return 0;
        }

        await using var count = dataSource.CreateCommand($"SELECT count(*) FROM {table}");
        return (long)(await count.ExecuteScalarAsync(ct))!;
    }

    public static async Task WriteConfigAsync(LocalCluster cluster, Uri segmentEndpoint, string salesforceEmulator, string schedule, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(ConfigPath)!);
        var yaml = $"""
            # Written by `sluice demo`: the demo cluster and the Segment and Salesforce emulators it started.
            # Run a sync yourself while the demo runs:  ./sluice sync {SyncName} -c {ConfigPath}
            version: 1
            {DemoGateway.Alerts}
            connections:
            {DemoGateway.Connections}
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
              web:                       # events the website sends to Sluice's ingest API (POST /v1/batch, …)
                type: ingest
                write_key: ${"{"}{DemoTraffic.WriteKeyVariable}:-{DemoTraffic.DefaultWriteKey}{"}"}
            {DemoRecords.Connection(cluster)}
            {DemoSalesforce.Connection(salesforceEmulator)}
            syncs:
            {DemoGateway.Syncs}
              # Real time, from the write-ahead log: a user going from trial to paid becomes a Track call.
              {RealTimeSyncName}:
                source:
                  connection: app
                  table: public.users
                  cdc:
                    start: now
                destination:
                  connection: segment
                  call: track
                  event: Subscription Upgraded
                  transition:
                    column: status
                    from: trial
                    to: paid
                mapping:
                  user_id: id
                  timestamp: updated_at
                  properties:
                    plan: plan
                    lifetime_value: lifetime_value
              # Ingested events, landed in PostgreSQL two ways: Segment's warehouse schema and one events table.
              web_to_warehouse:
                source:
                  connection: web
                destination:
                  connection: app
                  layout: warehouse
                  schema: {WarehouseSchema}
              web_to_events:
                source:
                  connection: web
                destination:
                  connection: app
                  table: public.events
                  create_table: true
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
            {DemoRecords.Sync(schedule)}
            {DemoSalesforce.SyncEntries(schedule)}

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

/// <summary>Users the simulated activity changed, and how many of them went from trial to paid.</summary>
internal sealed record DemoActivity(int Changed, int Upgraded);

/// <summary>Rows in the demo's landing tables.</summary>
internal sealed record DemoLanded(long Events, long Tracks, long Pages, long Identifies);
