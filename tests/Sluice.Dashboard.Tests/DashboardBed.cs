using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.State;
using Sluice.Emulators.Segment;
using Sluice.Server.Dashboard;
using Sluice.Server.Hosting;
using Sluice.State.Ingest;
using Sluice.Testing;

namespace Sluice.Dashboard.Tests;

/// <summary>
/// A dashboard over demo-like state, in its own database: a sync from a table into an events table that does not exist
/// yet (so its first run dead-letters every event), and a validation gateway from the ingest API to the Segment emulator
/// whose first run forwarded one event and quarantined one (its user is unknown). The dashboard is served by the same
/// <see cref="DashboardEndpoints.MapDashboard"/> call <c>sluice run</c> makes, on a free loopback port.
/// </summary>
internal sealed class DashboardBed : IAsyncDisposable
{
    public const string TableSync = "events_to_table";
    public const string GatewaySync = "web_to_segment";
    public const string SegmentWriteKey = "segment-secret-write-key-4711";

    private DashboardBed(NpgsqlDataSource db, SegmentEmulator emulator, SluiceWorkspace workspace, WebApplication app)
    {
        Db = db;
        Emulator = emulator;
        Workspace = workspace;
        App = app;
        Url = app.Urls.First().TrimEnd('/');
    }

    public NpgsqlDataSource Db { get; }

    public SegmentEmulator Emulator { get; }

    public SluiceWorkspace Workspace { get; }

    private WebApplication App { get; }

    /// <summary>The dashboard's address, without a trailing slash.</summary>
    public string Url { get; }

    public static async Task<DashboardBed> CreateAsync(string name)
    {
        var connection = new NpgsqlConnectionStringBuilder(await TestPostgres.CreateDatabaseAsync(name));
        var db = NpgsqlDataSource.Create(connection.ConnectionString);
        await using (var setup = db.CreateCommand(
            """
            CREATE TABLE incoming (
                event_id uuid PRIMARY KEY, source text NOT NULL, kind text NOT NULL, type text NOT NULL, event text,
                received_at timestamptz NOT NULL, payload jsonb NOT NULL, updated_at timestamptz NOT NULL
            );
            INSERT INTO incoming
            SELECT ('00000000-0000-0000-0000-00000000000' || i)::uuid, 'web', 'envelope', 'invoice.paid', 'invoice.paid', '2024-05-01T12:00:00Z',
                   jsonb_build_object('eventType', 'invoice.paid', 'occurredAt', '2024-05-01T11:00:00Z', 'customerExternalId', 'cus_' || i,
                                      'payload', jsonb_build_object('amount', i)),
                   '2024-05-01'::timestamptz + i * interval '1 second'
            FROM generate_series(1, 3) i;
            CREATE TABLE users (id text PRIMARY KEY, email text);
            INSERT INTO users VALUES ('u1', 'ada@example.com');
            """))
        {
            await setup.ExecuteNonQueryAsync();
        }

        var emulator = await SegmentEmulator.StartAsync(new SegmentEmulatorOptions { Port = 0 });
        var yaml = $"""
            connections:
              app:
                type: postgres
                host: {connection.Host}
                port: {connection.Port}
                database: {connection.Database}
                user: {connection.Username}
              segment:
                type: segment
                write_key: {SegmentWriteKey}
                endpoint: {emulator.BaseUrl}
              web:
                type: ingest
                write_key: dashboard-web-key-0123456789
            syncs:
              {TableSync}:
                source: {"{"}connection: app, table: public.incoming, cursor: updated_at{"}"}
                destination: {"{"}connection: app, table: public.events{"}"}
              {GatewaySync}:
                source: {"{"}connection: web{"}"}
                destination: {"{"}connection: segment, forward: true{"}"}
                validate:
                  user:
                    field: userId
                    exists_in: app.public.users.id
            """;
        var workspace = new SluiceWorkspace(SluiceConfig.Parse(yaml, "sluice.yaml", new Dictionary<string, string>()), TimeProvider.System);

        // The table sync's first run: the events table is missing, so its three events are dead letters.
        await workspace.RunAsync(TableSync, RunKind.Incremental, null, CancellationToken.None);
        // The gateway's: u1 is known and forwarded, u9 is not and is quarantined.
        var queue = await workspace.IngestQueueAsync(CancellationToken.None);
        await queue.EnqueueAsync([Track("known-user-event", "u1"), Track("unknown-user-event", "u9")], CancellationToken.None);
        await RunUntilAsync(workspace, async () => emulator.Messages().Count == 1 && await CountAsync(db, "SELECT count(*) FROM sluice.dead_letters WHERE kind = 'quarantined'") == 1);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddSluiceDashboard();
        var app = builder.Build();
        app.MapDashboard(workspace);
        await app.StartAsync();
        return new DashboardBed(db, emulator, workspace, app);
    }

    public static IngestEvent Track(string messageId, string userId) => new("web", Guid.NewGuid(), IngestEventKind.Segment, "track", "Order Completed", DateTimeOffset.UtcNow,
        JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object?>
        {
            ["type"] = "track",
            ["messageId"] = messageId,
            ["userId"] = userId,
            ["event"] = "Order Completed",
            ["properties"] = new Dictionary<string, object?> { ["total"] = 42 },
            ["timestamp"] = "2026-05-01T12:00:01.000Z",
        }));

    public Task<long> CountAsync(string sql) => CountAsync(Db, sql);

    public async Task ExecuteAsync(string sql)
    {
        await using var command = Db.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        await Workspace.DisposeAsync();
        await Emulator.DisposeAsync();
        await Db.DisposeAsync();
    }

    private static async Task<long> CountAsync(NpgsqlDataSource db, string sql)
    {
        await using var command = db.CreateCommand(sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Runs the streaming gateway until <paramref name="until"/> holds, then stops it (it would run for ever).</summary>
    private static async Task RunUntilAsync(SluiceWorkspace workspace, Func<Task<bool>> until)
    {
        using var stop = new CancellationTokenSource();
        var run = workspace.RunAsync(GatewaySync, RunKind.Incremental, null, stop.Token);
        try
        {
            await Eventually.HoldsAsync(async () =>
            {
                if (run.IsCompleted)
                {
                    await run; // a failed run fails the test with its own error
                }

                return await until();
            }, "the gateway forwarded one event and quarantined one");
        }
        finally
        {
            await stop.CancelAsync();
            try
            {
                await run;
            }
            catch (OperationCanceledException)
            {
                // stopped, as asked
            }
        }
    }
}
