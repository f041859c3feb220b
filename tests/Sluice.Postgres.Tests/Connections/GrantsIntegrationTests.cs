using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Records;
using Sluice.Postgres.Security;
using Sluice.State;
using Sluice.Testing;
using static Sluice.Postgres.Tests.TestSql;

namespace Sluice.Postgres.Tests.Connections;

/// <summary>Sluice works with exactly the grants <c>sluice grants</c> prints: a fresh role, the printed SQL applied, nothing else.</summary>
public sealed class GrantsIntegrationTests
{
    [Fact]
    public async Task A_role_with_the_warehouse_grants_creates_its_schema_tables_and_staging_tables()
    {
        var (database, role) = await LockedDownAsync(nameof(A_role_with_the_warehouse_grants_creates_its_schema_tables_and_staging_tables), "wh_writer");
        await using var asRole = await AsRoleAsync(database, role);
        await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(asRole, "SELECT 1")); // no CONNECT yet

        await SuperuserAsync(GrantsSql.Warehouse(role, database), database);

        // What the warehouse destination does: a schema per source, its tables, a staging table, rows.
        await ExecuteAsync(asRole, """
            CREATE SCHEMA web;
            CREATE TABLE web.tracks (id text PRIMARY KEY, event text, received_at timestamptz);
            CREATE TEMP TABLE staging (LIKE web.tracks);
            INSERT INTO staging VALUES ('e1', 'Signed Up', now());
            INSERT INTO web.tracks SELECT * FROM staging ON CONFLICT (id) DO UPDATE SET event = excluded.event;
            ALTER TABLE web.tracks ADD COLUMN plan text;
            """);
        Assert.Equal(1L, await ScalarAsync(asRole, "SELECT count(*) FROM web.tracks"));
    }

    [Fact]
    public async Task A_role_with_the_state_grants_creates_and_migrates_the_state_schema()
    {
        var (database, role) = await LockedDownAsync(nameof(A_role_with_the_state_grants_creates_and_migrates_the_state_schema), "state_owner");
        await SuperuserAsync(GrantsSql.State(role, database, "sluice"), database);
        await using var asRole = await AsRoleAsync(database, role);

        var store = await PostgresStateStore.OpenAsync(asRole, "sluice");

        Assert.NotNull(store);
        Assert.Equal(role, await ScalarAsync(asRole, "SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'sluice'"));
    }

    [Fact]
    public async Task A_role_with_the_source_grants_reads_the_table_a_sync_names_and_no_other()
    {
        var (database, role) = await LockedDownAsync(nameof(A_role_with_the_source_grants_reads_the_table_a_sync_names_and_no_other), "app_reader");
        await SuperuserAsync("""
            CREATE SCHEMA crm;
            CREATE TABLE crm.users (id bigint PRIMARY KEY, email text, updated_at timestamptz NOT NULL);
            CREATE INDEX ON crm.users (updated_at, id);
            INSERT INTO crm.users VALUES (1, 'a@example.com', now()), (2, 'b@example.com', now());
            CREATE TABLE crm.secrets (id bigint PRIMARY KEY);
            """, database);
        var cluster = await TestPostgres.GetClusterAsync();
        var config = SluiceConfig.Parse($$"""
            connections:
              app: {type: postgres, host: {{cluster.Host}}, port: {{cluster.Port}}, database: {{database}}, user: {{role}}, schema: crm}
              out: {type: segment, write_key: k}
            syncs:
              users:
                source: {connection: app, table: users, cursor: updated_at}
                destination: {connection: out, call: identify}
                mapping: {user_id: id}
            """, "sluice.yaml", new Dictionary<string, string>());
        await SuperuserAsync(new GrantsPlan(config, null).Sql(GrantTarget.Source, role), database);

        await using var resources = new ConnectorResources(TimeProvider.System);
        await using var source = new PostgresConnector().CreateSource(config.Syncs[0], config.Connections[0], resources);
        await source.DiscoverAsync(CancellationToken.None);
        var keys = new List<string>();
        await foreach (var change in source.ReadAsync(new ReadRequest(["id", "email"], null), CancellationToken.None))
        {
            keys.Add(change.Key);
        }

        Assert.Equal(["1", "2"], keys.Order());
        await using var asRole = await AsRoleAsync(database, role);
        var denied = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(asRole, "SELECT * FROM crm.secrets"));
        Assert.Equal("42501", denied.SqlState);
    }

    /// <summary>A fresh database PUBLIC may not connect to, and a fresh role with no privileges at all.</summary>
    private static async Task<(string Database, string Role)> LockedDownAsync(string purpose, string role)
    {
        var database = new NpgsqlConnectionStringBuilder(await TestPostgres.CreateDatabaseAsync(purpose)).Database!;
        var unique = $"{role}_{Environment.ProcessId}";
        await SuperuserAsync($"CREATE ROLE {unique} LOGIN; REVOKE ALL ON DATABASE {database} FROM PUBLIC");
        await SuperuserAsync("REVOKE ALL ON SCHEMA public FROM PUBLIC", database);
        return (database, unique);
    }

    private static async Task<NpgsqlDataSource> AsRoleAsync(string database, string role)
    {
        var cluster = await TestPostgres.GetClusterAsync();
        return NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(cluster.ConnectionString(database)) { Username = role, Pooling = false }.ConnectionString);
    }
}
