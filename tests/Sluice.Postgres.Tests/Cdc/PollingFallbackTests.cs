using System.Runtime.CompilerServices;
using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Records;
using Sluice.Postgres.Cdc;
using Sluice.Testing;
using static Sluice.Postgres.Tests.TestSql;

namespace Sluice.Postgres.Tests.Cdc;

public sealed class PollingFallbackTests
{
    private const string Setup = """
        CREATE TABLE accounts (id bigint PRIMARY KEY, status text NOT NULL, updated_at timestamptz NOT NULL);
        INSERT INTO accounts VALUES (1, 'trial', '2026-01-01'), (2, 'paid', '2026-01-02'), (3, 'trial', '2026-01-03');
        """;

    [Fact]
    public async Task Where_wal_level_is_replica_the_sync_diffs_its_table_instead_and_says_so()
    {
        await using var db = await CdcPreflightTests.ReplicaCluster.CreateDataSourceAsync("fallback_diff");
        await ExecuteAsync(db, Setup);
        var cdc = new StandInCdcSource();

        await using var source = Create(db, "cdc: {fallback: poll}", cdc);
        var fallback = Assert.IsType<PollingFallbackSource>(source);
        Assert.Equal(ChangeKinds.Added | ChangeKinds.Changed | ChangeKinds.Deleted, source.Detects);
        await source.CheckAsync(CancellationToken.None);

        Assert.True(fallback.Polling);
        Assert.Equal("sync 'accounts_sync': logical replication unavailable (wal_level is replica); polling public.accounts by diff instead", fallback.Notice);
        Assert.Equal(fallback.Notice, (await source.AdviseAsync(CancellationToken.None))[0]);
        Assert.False(source.Streams);
        Assert.Contains("polled (logical replication unavailable)", source.Description, StringComparison.Ordinal);
        var schema = await source.DiscoverAsync(CancellationToken.None);
        Assert.Equal(["id", "status", "updated_at"], schema.Columns.Select(c => c.Name));
        var keys = new List<string>();
        await foreach (var change in source.ReadAsync(new ReadRequest(["id", "status"], null), CancellationToken.None))
        {
            // A table-shaped diff read ends with its position (the snapshot it read); the test looks at records.
            if (!change.IsProgress)
            {
                keys.Add(change.Key);
            }
        }

        Assert.Equal(["1", "2", "3"], keys);
        Assert.Equal(0, cdc.Calls);
    }

    [Fact]
    public async Task With_a_cursor_the_fallback_reads_the_table_by_that_cursor()
    {
        await using var db = await CdcPreflightTests.ReplicaCluster.CreateDataSourceAsync("fallback_cursor");
        await ExecuteAsync(db, Setup);

        await using var source = Create(db, "cursor: updated_at\n      cdc: {fallback: poll}", new StandInCdcSource());
        var schema = await source.DiscoverAsync(CancellationToken.None);

        Assert.Equal("sync 'accounts_sync': logical replication unavailable (wal_level is replica); polling public.accounts by cursor updated_at instead",
            Assert.IsType<PollingFallbackSource>(source).Notice);
        Assert.Equal(ChangeKinds.None, source.Detects);
        Assert.Contains(schema.Columns, c => c.Name == "updated_at");
        var count = 0;
        await foreach (var change in source.ReadAsync(new ReadRequest(["id"], null), CancellationToken.None))
        {
            count++;
        }

        Assert.Equal(3, count);
    }

    [Fact]
    public async Task Where_logical_replication_works_the_CDC_source_does_everything()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync("fallback_not_needed");
        await ExecuteAsync(db, Setup);
        var cdc = new StandInCdcSource();

        await using var source = Create(db, "cdc: {fallback: poll}", cdc);
        await source.CheckAsync(CancellationToken.None);
        await source.DiscoverAsync(CancellationToken.None);
        await source.CommittedAsync(new Core.Checkpoints.Checkpoint("cdc", 1, "0/1"), CancellationToken.None);

        var fallback = Assert.IsType<PollingFallbackSource>(source);
        Assert.False(fallback.Polling);
        Assert.Null(fallback.Notice);
        Assert.True(source.Streams);
        Assert.Equal(cdc.Description, source.Description);
        Assert.Equal(3, cdc.Calls);
    }

    [Fact]
    public async Task Without_fallback_poll_the_CDC_source_is_used_as_it_is()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync("fallback_off");
        var cdc = new StandInCdcSource();

        Assert.Same(cdc, Create(db, "cdc: true", cdc));
        Assert.Same(cdc, Create(db, "cdc: {fallback: none, max_lag: 1GB}", cdc));
    }

    [Fact]
    public async Task A_fallback_that_is_not_poll_or_a_fallback_for_several_tables_is_a_config_error()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync("fallback_bad");

        var unknown = Assert.Throws<ConfigException>(() => Create(db, "cdc: {fallback: pol}", new StandInCdcSource()));
        Assert.Contains("'fallback' must be poll or none", unknown.Message, StringComparison.Ordinal);

        var several = Assert.Throws<ConfigException>(() => Create(db, "cdc: {fallback: poll}", new StandInCdcSource(), table: "tables: [public.a, public.b]"));
        Assert.Contains("polls one table", several.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_CDC_source_accepts_the_fallback_and_threshold_keys_and_is_chosen_where_CDC_works()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync("fallback_real_cdc");
        await ExecuteAsync(db, Setup);
        const string keys = "cdc: {fallback: poll, max_lag: 2GB, max_lag_time: 10m, stall_after: 15m}";

        await using var source = Create(db, keys, (sync, connection) => new CdcSource(db, connection, CdcSourceOptions.Bind(sync), TimeProvider.System));
        await source.CheckAsync(CancellationToken.None);

        Assert.False(Assert.IsType<PollingFallbackSource>(source).Polling);
        Assert.StartsWith("cdc of public.accounts", source.Description, StringComparison.Ordinal);
        Assert.True(source.Streams);
    }

    [Fact]
    public async Task Where_CDC_is_unavailable_the_CDC_source_is_replaced_by_the_diffing_one()
    {
        await using var db = await CdcPreflightTests.ReplicaCluster.CreateDataSourceAsync("fallback_real_poll");
        await ExecuteAsync(db, Setup);

        await using var source = Create(db, "cdc: {fallback: poll}", (sync, connection) => new CdcSource(db, connection, CdcSourceOptions.Bind(sync), TimeProvider.System));
        var count = 0;
        await foreach (var change in source.ReadAsync(new ReadRequest(["id", "status"], null), CancellationToken.None))
        {
            if (!change.IsProgress)
            {
                count++;
            }
        }

        Assert.True(Assert.IsType<PollingFallbackSource>(source).Polling);
        Assert.Equal(3, count);
    }

    private static ISource Create(NpgsqlDataSource db, string sourceExtra, StandInCdcSource cdc, string table = "table: public.accounts") =>
        Create(db, sourceExtra, (_, _) => cdc, table);

    private static ISource Create(NpgsqlDataSource db, string sourceExtra, Func<SyncConfig, PostgresConnectionOptions, ISource> cdc, string table = "table: public.accounts")
    {
        var builder = new NpgsqlConnectionStringBuilder(db.ConnectionString);
        var config = SluiceConfig.Parse(
            $"""
            connections:
              app: {"{"}type: postgres, database: {builder.Database}{"}"}
              segment: {"{"}type: segment, write_key: k{"}"}
            syncs:
              accounts_sync:
                source:
                  connection: app
                  {table}
                  {sourceExtra}
                destination: {"{"}connection: segment, call: identify{"}"}
                mapping: {"{"}user_id: id{"}"}
            """, "sluice.yaml");
        var connection = new PostgresConnectionOptions { Name = "app", Host = builder.Host!, Port = builder.Port, Database = builder.Database!, User = builder.Username! };
        return PollingFallbackSource.Create(config.Syncs[0], db, connection, () => cdc(config.Syncs[0], connection));
    }

    /// <summary>Stands in for the CDC source (tested on its own): counts what reaches it, and streams nothing.</summary>
    private sealed class StandInCdcSource : ISource
    {
        private int _calls;

        public int Calls => _calls;

        public string Description => "cdc of public.accounts (slot sluice_accounts_sync)";

        public ChangeKinds Detects => ChangeKinds.Added | ChangeKinds.Changed | ChangeKinds.Deleted;

        public bool Streams => true;

        public Task CheckAsync(CancellationToken ct)
        {
            Interlocked.Increment(ref _calls);
            return Task.CompletedTask;
        }

        public Task<SourceSchema> DiscoverAsync(CancellationToken ct)
        {
            Interlocked.Increment(ref _calls);
            return Task.FromResult(new SourceSchema("public.accounts", [new SourceColumn("id", "bigint", ColumnType.Integer, false)], ["id"]));
        }

        public Task<long?> EstimateAsync(ReadRequest request, CancellationToken ct) => Task.FromResult<long?>(null);

        public async IAsyncEnumerable<Change> ReadAsync(ReadRequest request, [EnumeratorCancellation] CancellationToken ct)
        {
            Interlocked.Increment(ref _calls);
            await Task.CompletedTask;
            yield break;
        }

        public ValueTask CommittedAsync(Core.Checkpoints.Checkpoint checkpoint, CancellationToken ct)
        {
            Interlocked.Increment(ref _calls);
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
