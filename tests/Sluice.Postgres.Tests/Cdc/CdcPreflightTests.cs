using Npgsql;
using Sluice.Core.Errors;
using Sluice.Dev.Embedded;
using Sluice.Postgres.Cdc;
using Sluice.Testing;
using static Sluice.Postgres.Tests.TestSql;

namespace Sluice.Postgres.Tests.Cdc;

public sealed class CdcPreflightTests
{
    private static int _roleCounter;

    [Fact]
    public async Task A_server_with_wal_level_replica_is_told_to_set_wal_level_logical()
    {
        await using var db = await ReplicaCluster.CreateDataSourceAsync("preflight_wal");
        await ExecuteAsync(db, "CREATE TABLE accounts (id bigint PRIMARY KEY)");

        var error = await Assert.ThrowsAsync<SluiceException>(() => CdcPreflight.CheckAsync(db, ["public.accounts"], CancellationToken.None));

        Assert.Equal(ErrorClass.Config, error.Class);
        Assert.Contains("wal_level is 'replica'", error.Message, StringComparison.Ordinal);
        Assert.Contains("ALTER SYSTEM SET wal_level = logical;", error.Message, StringComparison.Ordinal);
        Assert.Contains("rds.logical_replication = 1", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task A_full_slot_table_is_reported_with_the_setting_to_raise_and_the_slots_to_drop()
    {
        // The replica cluster allows one slot; a physical slot takes it (slots count whatever their kind).
        await using var db = await ReplicaCluster.CreateDataSourceAsync("preflight_slots");
        var slot = $"preflight_full_{Environment.ProcessId}";
        await ExecuteAsync(db, $"SELECT pg_create_physical_replication_slot('{slot}')");
        try
        {
            var readiness = await CdcPreflight.InspectAsync(db, [], slot: "sluice_x", publication: null, CancellationToken.None);

            Assert.Equal(1, readiness.MaxReplicationSlots);
            Assert.Equal(1, readiness.UsedReplicationSlots);
            Assert.Contains(readiness.Problems, p => p.Contains("all 1 replication slots are taken", StringComparison.Ordinal)
                && p.Contains("raise max_replication_slots", StringComparison.Ordinal) && p.Contains("sluice prune", StringComparison.Ordinal));
            // wal_level comes first: it is the problem to fix first.
            Assert.Contains("wal_level", readiness.Problems[0], StringComparison.Ordinal);
            Assert.False(readiness.LogicalReplicationAvailable);
        }
        finally
        {
            await ExecuteAsync(db, $"SELECT pg_drop_replication_slot('{slot}')");
        }
    }

    [Fact]
    public async Task A_role_without_REPLICATION_SELECT_or_table_ownership_gets_the_grants_to_apply()
    {
        await using var admin = await TestPostgres.CreateDataSourceAsync("preflight_role");
        var role = $"sluice_norepl_{Environment.ProcessId}_{Interlocked.Increment(ref _roleCounter)}";
        await ExecuteAsync(admin, $"CREATE TABLE accounts (id bigint PRIMARY KEY); CREATE ROLE {role} LOGIN");
        var asRole = new NpgsqlConnectionStringBuilder(admin.ConnectionString) { Username = role };
        var db = NpgsqlDataSource.Create(asRole.ConnectionString);
        await CleanUp.AfterAsync(async () =>
        {
            var readiness = await CdcPreflight.InspectAsync(db, ["public.accounts"], slot: "sluice_x", publication: "sluice_x", CancellationToken.None);

            Assert.False(readiness.CanReplicate);
            Assert.Contains(readiness.Problems, p => p.Contains($"ALTER ROLE \"{role}\" REPLICATION;", StringComparison.Ordinal));
            Assert.Contains(readiness.Problems, p => p.Contains($"GRANT SELECT ON \"public\".\"accounts\" TO \"{role}\";", StringComparison.Ordinal));
            Assert.Contains(readiness.Problems, p => p.Contains("CREATE PUBLICATION \"sluice_x\" FOR TABLE \"public\".\"accounts\";", StringComparison.Ordinal));

            var error = await Assert.ThrowsAsync<SluiceException>(() => CdcPreflight.CheckAsync(db, ["public.accounts"], CancellationToken.None));
            Assert.Equal(ErrorClass.Config, error.Class);
            Assert.Contains("lacks the REPLICATION attribute", error.Message, StringComparison.Ordinal);

            // Granted what it lacked, the role is ready (the publication now exists, made by the owner).
            await ExecuteAsync(admin, $"ALTER ROLE {role} REPLICATION; GRANT SELECT ON accounts TO {role}; CREATE PUBLICATION sluice_x FOR TABLE accounts");
            var after = await CdcPreflight.InspectAsync(db, ["public.accounts"], slot: "sluice_x", publication: "sluice_x", CancellationToken.None);
            Assert.Empty(after.Problems);
        }, async () =>
        {
            await db.DisposeAsync(); // its pooled sessions would keep the role from being dropped
            await ExecuteAsync(admin, $"DROP PUBLICATION IF EXISTS sluice_x; DROP OWNED BY {role}; DROP ROLE {role}");
        });
    }

    [Fact]
    public async Task A_superuser_on_a_logical_server_is_ready()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync("preflight_ok");
        await ExecuteAsync(db, "CREATE TABLE accounts (id bigint PRIMARY KEY)");

        var readiness = await CdcPreflight.InspectAsync(db, ["public.accounts"], slot: "sluice_nothing_yet", publication: "sluice_nothing_yet", CancellationToken.None);

        Assert.True(readiness.Ready, string.Join("; ", readiness.Problems));
        Assert.Equal("logical", readiness.WalLevel);
        await CdcPreflight.CheckAsync(db, ["public.accounts"], CancellationToken.None);
    }

    [Fact]
    public async Task A_table_without_a_key_is_advised_a_primary_key_or_replica_identity_full()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync("advise_nokey");
        await ExecuteAsync(db, "CREATE TABLE events (name text, at timestamptz)");

        var advice = await CdcPreflight.AdviseAsync(db, ["public.events"], []);

        var line = Assert.Single(advice);
        Assert.Contains("public.events has no primary key and REPLICA IDENTITY DEFAULT", line, StringComparison.Ordinal);
        Assert.Contains("ALTER TABLE \"public\".\"events\" REPLICA IDENTITY FULL;", line, StringComparison.Ordinal);

        await ExecuteAsync(db, "ALTER TABLE events REPLICA IDENTITY FULL");
        Assert.Empty(await CdcPreflight.AdviseAsync(db, ["public.events"], []));
    }

    [Fact]
    public async Task A_watched_column_outside_the_replica_identity_is_advised_replica_identity_full()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync("advise_watched");
        await ExecuteAsync(db, "CREATE TABLE accounts (id bigint PRIMARY KEY, status text, plan text)");

        var advice = await CdcPreflight.AdviseAsync(db, ["public.accounts"], ["status", "id", "not_a_column"]);

        var line = Assert.Single(advice);
        Assert.Contains("watched column status is not in the replica identity", line, StringComparison.Ordinal);
        Assert.Contains("ALTER TABLE \"public\".\"accounts\" REPLICA IDENTITY FULL;", line, StringComparison.Ordinal);

        // Watching only the key needs nothing; nor does anything once the identity is FULL.
        Assert.Empty(await CdcPreflight.AdviseAsync(db, ["public.accounts"], ["id"]));
        await ExecuteAsync(db, "ALTER TABLE accounts REPLICA IDENTITY FULL");
        Assert.Empty(await CdcPreflight.AdviseAsync(db, ["public.accounts"], ["status"]));
    }

    /// <summary>
    /// A second throwaway cluster without logical replication (<c>wal_level=replica</c>), and with room for a single
    /// slot, shared by the tests that need a server where CDC is unavailable.
    /// </summary>
    public static class ReplicaCluster
    {
        private static readonly Lazy<Task<LocalCluster>> Cluster = new(StartAsync);
        private static int _databaseCounter;

        public static async Task<NpgsqlDataSource> CreateDataSourceAsync(string purpose)
        {
            var cluster = await Cluster.Value;
            var name = $"{purpose}_{Environment.ProcessId}_{Interlocked.Increment(ref _databaseCounter)}";
            await cluster.CreateDatabaseAsync(name);
            return NpgsqlDataSource.Create(cluster.ConnectionString(name));
        }

        private static Task<LocalCluster> StartAsync() =>
            TestPostgres.StartClusterAsync("sluice-test-replica-pg-", _ => Task.FromResult<IReadOnlyDictionary<string, string>>(
                new Dictionary<string, string>
                {
                    ["wal_level"] = "replica",
                    ["max_replication_slots"] = "1",
                    ["max_wal_senders"] = "2",
                    ["max_connections"] = "30",
                }));
    }
}
