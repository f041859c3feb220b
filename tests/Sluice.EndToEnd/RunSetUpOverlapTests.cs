using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Engine;
using Sluice.Core.Mapping;
using Sluice.Core.Records;
using Sluice.Core.State;
using Sluice.Server.Hosting;
using Sluice.Testing;

namespace Sluice.EndToEnd;

/// <summary>
/// A run's set-up overlaps what it can: a fresh state store is migrated while the run discovers its source and its
/// destination, and only the lease waits for the store.
/// </summary>
public sealed class RunSetUpOverlapTests
{
    [Fact]
    public async Task A_run_discovers_its_destination_while_a_fresh_state_store_is_migrated_and_takes_its_lease_after()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync(nameof(A_run_discovers_its_destination_while_a_fresh_state_store_is_migrated_and_takes_its_lease_after));
        await using var db = NpgsqlDataSource.Create(connectionString);
        await using (var create = db.CreateCommand("CREATE TABLE public.users (id int PRIMARY KEY, email text, updated_at timestamptz NOT NULL DEFAULT now())"))
        {
            await create.ExecuteNonQueryAsync();
        }

        var at = new NpgsqlConnectionStringBuilder(connectionString);
        var yaml = $$"""
            connections:
              app: {type: postgres, host: {{at.Host}}, port: {{at.Port}}, database: {{at.Database}}, user: {{at.Username}}}
              crm: {type: discovering}
            syncs:
              users_to_crm:
                source: {connection: app, table: public.users, cursor: updated_at}
                destination: {connection: crm}
                mapping: {external_id: id}
            """;
        var connector = new DiscoveringConnector();
        await using var workspace = new SluiceWorkspace(SluiceConfig.Parse(yaml, "sluice.yaml"), TimeProvider.System, [.. SluiceWorkspace.DefaultConnectors(), connector]);

        // The state schema, created and not committed: the migration's CREATE SCHEMA waits for this transaction.
        await using var holder = await db.OpenConnectionAsync();
        await using var hold = await holder.BeginTransactionAsync();
        await using (var schema = new NpgsqlCommand("CREATE SCHEMA sluice", holder, hold))
        {
            await schema.ExecuteNonQueryAsync();
        }

        var run = Task.Run(() => workspace.RunAsync("users_to_crm", RunKind.Incremental, null, CancellationToken.None));
        await Eventually.HoldsAsync(() => connector.Discovered.IsCompleted || run.IsCompleted, "the destination discovered while the state store migrates", TimeSpan.FromSeconds(30));
        Assert.False(run.IsCompleted, run.Exception?.ToString());
        await Eventually.HoldsAsync(async () => await MigrationWaitsAsync(db), "the state store's migration waiting for the held schema", TimeSpan.FromSeconds(30));
        Assert.False(run.IsCompleted);

        await hold.RollbackAsync();
        var result = await run;
        Assert.Equal(0L, result.Read);
        await using var status = db.CreateCommand("SELECT status FROM sluice.runs");
        Assert.Equal("succeeded", await status.ExecuteScalarAsync());
    }

    private static async Task<bool> MigrationWaitsAsync(NpgsqlDataSource db)
    {
        await using var command = db.CreateCommand("""
            SELECT count(*) FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%CREATE SCHEMA IF NOT EXISTS%'
            """);
        return (long)(await command.ExecuteScalarAsync())! > 0;
    }

    /// <summary><c>type: discovering</c>: only a destination, whose one field is known once connected, and which says when that was.</summary>
    private sealed class DiscoveringConnector : IConnector
    {
        private readonly TaskCompletionSource _discovered = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Discovered => _discovered.Task;

        public string Type => "discovering";

        public Task CheckConnectionAsync(ConnectionConfig connection, ConnectorResources resources, CancellationToken ct) => Task.CompletedTask;

        public ISource CreateSource(SyncConfig sync, ConnectionConfig connection, ConnectorResources resources) => throw new NotSupportedException();

        public IDestination CreateDestination(SyncConfig sync, ConnectionConfig connection, ConnectorResources resources) =>
            new Destination(() => _discovered.TrySetResult());

        public RateLimitOptions RateLimit(ConnectionConfig connection) => new();

        private sealed class Destination(Action discovered) : IDestination, IDestinationDiscovery
        {
            public string Description => "CRM contacts";

            public MappingShape Shape { get; } = new("CRM contacts", [], []);

            public DestinationLimits Limits { get; } = new(MaxRecords: 100, MaxBatchBytes: 100_000, MaxRecordBytes: 10_000, MaxInFlight: 1);

            public Task<MappingShape> DiscoverAsync(CancellationToken ct)
            {
                discovered();
                return Task.FromResult(new MappingShape("CRM contacts", [new MappingTarget("external_id", IsObject: false, Required: true, "the contact's id")], []));
            }

            public Task CheckAsync(CancellationToken ct) => Task.CompletedTask;

            public EncodedRecord Encode(Change change, CompiledMapping mapping) => throw new NotSupportedException();

            public Task<IReadOnlyList<WriteResult>> WriteAsync(IReadOnlyList<EncodedRecord> batch, CancellationToken ct) => throw new NotSupportedException();

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
