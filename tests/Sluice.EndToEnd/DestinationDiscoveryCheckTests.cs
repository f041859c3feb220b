using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Engine;
using Sluice.Core.Mapping;
using Sluice.Core.Records;
using Sluice.Server.Hosting;
using Sluice.Testing;

namespace Sluice.EndToEnd;

/// <summary>
/// <c>sluice check</c> compiles a sync's mapping against what a destination discovers after connecting
/// (<see cref="IDestinationDiscovery"/>), not only against what it knows from the config: a test connector,
/// <c>type: discovering</c>, whose only target, <c>external_id</c>, is known once connected.
/// </summary>
public sealed class DestinationDiscoveryCheckTests
{
    [Fact]
    public async Task Check_accepts_a_mapping_onto_fields_the_destination_discovers()
    {
        var connector = new DiscoveringConnector();
        var results = await CheckAsync(nameof(Check_accepts_a_mapping_onto_fields_the_destination_discovers), connector, "{external_id: id}");

        var sync = Assert.Single(results, r => r.What == "sync 'users_to_crm'");
        Assert.Null(sync.Problem);
        Assert.Equal(1, connector.Discoveries);
    }

    [Fact]
    public async Task Check_refuses_a_mapping_that_lacks_a_field_the_destination_discovers_as_required()
    {
        var connector = new DiscoveringConnector();
        var results = await CheckAsync(nameof(Check_refuses_a_mapping_that_lacks_a_field_the_destination_discovers_as_required), connector, "{email: email}");

        var sync = Assert.Single(results, r => r.What == "sync 'users_to_crm'");
        Assert.NotNull(sync.Problem);
        Assert.Contains("'email' is not something CRM contacts accepts", sync.Problem, StringComparison.Ordinal);
        Assert.Equal(1, connector.Discoveries);
    }

    private static async Task<IReadOnlyList<CheckResult>> CheckAsync(string name, DiscoveringConnector connector, string mapping)
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync(name);
        await using (var db = Npgsql.NpgsqlDataSource.Create(connectionString))
        await using (var create = db.CreateCommand("CREATE TABLE public.users (id int PRIMARY KEY, email text, updated_at timestamptz NOT NULL DEFAULT now())"))
        {
            await create.ExecuteNonQueryAsync();
        }

        var at = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        var yaml = $$"""
            connections:
              app: {type: postgres, host: {{at.Host}}, port: {{at.Port}}, database: {{at.Database}}, user: {{at.Username}}}
              crm: {type: discovering}
            syncs:
              users_to_crm:
                source: {connection: app, table: public.users, cursor: updated_at}
                destination: {connection: crm}
                mapping: {{mapping}}
            """;
        await using var workspace = new SluiceWorkspace(SluiceConfig.Parse(yaml, "sluice.yaml"), TimeProvider.System, [.. SluiceWorkspace.DefaultConnectors(), connector]);
        return await workspace.CheckAsync(CancellationToken.None);
    }

    /// <summary><c>type: discovering</c>: only a destination, whose fields are known once connected.</summary>
    private sealed class DiscoveringConnector : IConnector
    {
        private int _discoveries;

        public int Discoveries => _discoveries;

        public string Type => "discovering";

        public Task CheckConnectionAsync(ConnectionConfig connection, ConnectorResources resources, CancellationToken ct) => Task.CompletedTask;

        public ISource CreateSource(SyncConfig sync, ConnectionConfig connection, ConnectorResources resources) => throw new NotSupportedException();

        public IDestination CreateDestination(SyncConfig sync, ConnectionConfig connection, ConnectorResources resources) =>
            new Destination(() => Interlocked.Increment(ref _discoveries));

        public RateLimitOptions RateLimit(ConnectionConfig connection) => new();

        private sealed class Destination(Action discovered) : IDestination, IDestinationDiscovery
        {
            public string Description => "CRM contacts";

            /// <summary>Known from the config alone: no field at all.</summary>
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
