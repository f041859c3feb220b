using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Postgres.Destinations.Records;
using Sluice.Postgres.Security;
using Sluice.Testing;
using static Sluice.Postgres.Tests.TestSql;

namespace Sluice.Postgres.Tests.Records;

/// <summary><c>sluice grants --for records</c> prints exactly what the export needs, and a role with only that runs it.</summary>
public sealed class RecordsGrantsTests
{
    [Fact]
    public void The_printed_grants_are_the_temporary_privilege_and_the_row_privileges_on_the_two_tables()
    {
        var sql = new GrantsPlan(Config("wh", 5432, "shop", "exporter"), null).Sql(GrantTarget.Records, "exporter");

        var grants = sql.Split('\n').Where(l => l.StartsWith("GRANT", StringComparison.Ordinal)).ToList();
        Assert.Equal(
        [
            "GRANT CONNECT ON DATABASE \"shop\" TO \"exporter\";",
            "GRANT TEMPORARY ON DATABASE \"shop\" TO \"exporter\";",
            "GRANT USAGE ON SCHEMA \"public\" TO \"exporter\";",
            "GRANT SELECT, INSERT, UPDATE, DELETE ON \"public\".\"customers\" TO \"exporter\";",
            "GRANT SELECT, INSERT, DELETE ON \"public\".\"customer_groups\" TO \"exporter\";",
        ], grants);
    }

    [Fact]
    public async Task A_role_with_only_the_printed_grants_runs_the_export()
    {
        var database = new NpgsqlConnectionStringBuilder(await TestPostgres.CreateDatabaseAsync(nameof(RecordsGrantsTests))).Database!;
        var role = $"records_writer_{Environment.ProcessId}";
        await SuperuserAsync($"DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN; REVOKE ALL ON DATABASE {database} FROM PUBLIC");
        await SuperuserAsync("REVOKE ALL ON SCHEMA public FROM PUBLIC", database);
        var cluster = await TestPostgres.GetClusterAsync();
        await using var admin = NpgsqlDataSource.Create(cluster.ConnectionString(database));
        var adminBed = new RecordsBed(admin);
        await adminBed.CreateTablesAsync();
        await using var asRole = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(cluster.ConnectionString(database)) { Username = role, Pooling = false }.ConnectionString);
        var bed = new RecordsBed(asRole);
        await using (var before = bed.Destination(RecordsMode.Sync, new Dictionary<string, string> { ["big"] = "lifetime_value > 10" }))
        {
            await Assert.ThrowsAnyAsync<Exception>(() => before.CheckAsync(CancellationToken.None)); // no grants yet
        }

        await SuperuserAsync(new GrantsPlan(Config("wh", cluster.Port, database, role), null).Sql(GrantTarget.Records, role), database);

        await using var destination = bed.Destination(RecordsMode.Sync, new Dictionary<string, string> { ["big"] = "lifetime_value > 10" });
        await destination.CheckAsync(CancellationToken.None);
        await bed.WriteAsync(destination, bed.Upsert(1, "a@x", 50m), bed.Upsert(2, "b@x", 20m));
        await bed.WriteAsync(destination, bed.Delete(2), bed.Upsert(1, "a@x", 5m));
        Assert.Equal(["(1,a@x,5,)"], await adminBed.RowsAsync());
        Assert.Empty(await adminBed.GroupsAsync());
    }

    [Theory]
    [InlineData("sync", null, "SELECT, INSERT, UPDATE, DELETE")]
    [InlineData("sync", "soft", "SELECT, INSERT, UPDATE")]
    [InlineData("additive", null, "SELECT, INSERT, UPDATE")]
    [InlineData("enrich", null, "SELECT, UPDATE")]
    [InlineData("append", null, "SELECT, INSERT")]
    public void The_printed_row_privileges_are_those_of_the_mode(string mode, string? deletes, string privileges)
    {
        var sql = new GrantsPlan(ModeConfig("wh", 5432, "shop", "exporter", mode, deletes), null).Sql(GrantTarget.Records, "exporter");

        var grants = sql.Split('\n').Where(l => l.StartsWith("GRANT", StringComparison.Ordinal)).ToList();
        Assert.Contains($"GRANT {privileges} ON \"public\".\"customers\" TO \"exporter\";", grants);
        Assert.Single(grants, g => g.Contains("\"customers\"", StringComparison.Ordinal));
        if (mode == "append")
        {
            Assert.DoesNotContain(grants, g => g.Contains("customer_groups", StringComparison.Ordinal)); // an append table has no groups
        }
        else
        {
            Assert.Contains("GRANT SELECT, INSERT, DELETE ON \"public\".\"customer_groups\" TO \"exporter\";", grants);
        }
    }

    [Theory]
    [InlineData("sync", null)]
    [InlineData("sync", "soft")]
    [InlineData("additive", null)]
    [InlineData("enrich", null)]
    [InlineData("append", null)]
    public async Task A_role_with_only_the_grants_printed_for_its_mode_runs_the_export(string mode, string? deletes)
    {
        var database = new NpgsqlConnectionStringBuilder(await TestPostgres.CreateDatabaseAsync($"records_grants_{mode}_{deletes}")).Database!;
        var role = $"records_{mode}_{deletes}_{Environment.ProcessId}";
        await SuperuserAsync($"DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN; REVOKE ALL ON DATABASE {database} FROM PUBLIC");
        await SuperuserAsync("REVOKE ALL ON SCHEMA public FROM PUBLIC", database);
        var cluster = await TestPostgres.GetClusterAsync();
        await using var admin = NpgsqlDataSource.Create(cluster.ConnectionString(database));
        var adminBed = new RecordsBed(admin);
        await adminBed.CreateTablesAsync();
        await ExecuteAsync(admin, $"ALTER TABLE {adminBed.Table} ADD COLUMN deleted_at timestamptz; INSERT INTO {adminBed.Table} (id, email) VALUES (1, 'old@x')");
        await SuperuserAsync(new GrantsPlan(ModeConfig("wh", cluster.Port, database, role, mode, deletes), null).Sql(GrantTarget.Records, role), database);
        await using var asRole = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(cluster.ConnectionString(database)) { Username = role, Pooling = false }.ConnectionString);
        var bed = new RecordsBed(asRole);
        var recordsMode = Enum.Parse<RecordsMode>(mode, ignoreCase: true);
        IReadOnlyDictionary<string, string>? groups = recordsMode == RecordsMode.Append ? null : new Dictionary<string, string> { ["big"] = "lifetime_value > 10" };
        await using var destination = bed.Destination(recordsMode, groups, softDelete: deletes == "soft");

        await destination.CheckAsync(CancellationToken.None);
        await bed.WriteAsync(destination, bed.Upsert(1, "a@x", 50m), bed.Upsert(2, "b@x", 20m));
        await bed.WriteAsync(destination, bed.Delete(2), bed.Upsert(1, "a@x", 5m));

        var rows = await adminBed.RowsAsync();
        Assert.Equal(recordsMode switch
        {
            RecordsMode.Sync when deletes == "soft" => 2,
            RecordsMode.Sync => 1,
            RecordsMode.Enrich => 1,
            _ => 2,
        }, rows.Count);
        Assert.StartsWith(recordsMode == RecordsMode.Append ? "(1,old@x," : "(1,a@x,5,", rows[0], StringComparison.Ordinal);
    }

    private static SluiceConfig ModeConfig(string connection, int port, string database, string role, string mode, string? deletes)
    {
        var yaml = new System.Text.StringBuilder($$"""
            connections:
              app: {type: postgres, host: localhost, port: {{port}}, database: app, user: reader}
              {{connection}}: {type: postgres, host: localhost, port: {{port}}, database: {{database}}, user: {{role}}}
            syncs:
              customers:
                source: {connection: app, table: customers}
                mapping: {id: id, email: email, lifetime_value: ltv}
                destination:
                  connection: {{connection}}
                  table: public.customers
                  key: id
                  mode: {{mode}}

            """);
        if (deletes is not null)
        {
            yaml.Append($"      deletes: {deletes}\n");
        }

        if (mode != "append")
        {
            yaml.Append("      groups: {table: public.customer_groups, foreign_key: customer_id, name_column: group_name, define: {big: \"lifetime_value > 10\"}}\n");
        }

        return SluiceConfig.Parse(yaml.ToString(), "sluice.yaml", new Dictionary<string, string>());
    }

    private static SluiceConfig Config(string connection, int port, string database, string role) => SluiceConfig.Parse($$"""
        connections:
          app: {type: postgres, host: localhost, port: {{port}}, database: app, user: reader}
          {{connection}}: {type: postgres, host: localhost, port: {{port}}, database: {{database}}, user: {{role}}}
        syncs:
          customers:
            source: {connection: app, table: customers}
            destination:
              connection: {{connection}}
              table: public.customers
              key: id
              mode: sync
              groups:
                table: public.customer_groups
                foreign_key: customer_id
                name_column: group_name
                define: {big: "lifetime_value > 10"}
            mapping: {id: id, email: email, lifetime_value: ltv}
        """, "sluice.yaml", new Dictionary<string, string>());
}
