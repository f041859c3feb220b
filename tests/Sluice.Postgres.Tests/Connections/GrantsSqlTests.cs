using Sluice.Core.Configuration;
using Sluice.Postgres.Security;

namespace Sluice.Postgres.Tests.Connections;

public sealed class GrantsSqlTests
{
    [Fact]
    public void Warehouse_grants_connect_create_and_temporary_on_the_database()
    {
        var sql = GrantsSql.Warehouse("sluice", "wh");
        Assert.Contains("GRANT CONNECT, CREATE, TEMPORARY ON DATABASE \"wh\" TO \"sluice\";\n", sql, StringComparison.Ordinal);
        Assert.All(Statements(sql), s => Assert.StartsWith("GRANT", s, StringComparison.Ordinal));
    }

    [Fact]
    public void Events_grants_usage_on_the_schema_and_insert_on_the_table_only()
    {
        var sql = GrantsSql.Events("writer", "wh", [new EventsTableGrant("web_events", "analytics", "events", TablePerEventType: false)]);
        Assert.Equal(
            [
                "GRANT CONNECT ON DATABASE \"wh\" TO \"writer\";",
                "GRANT USAGE ON SCHEMA \"analytics\" TO \"writer\";",
                "GRANT INSERT ON \"analytics\".\"events\" TO \"writer\";",
            ],
            Statements(sql));
    }

    [Fact]
    public void Table_per_event_type_needs_create_on_the_schema()
    {
        var sql = GrantsSql.Events("writer", "wh", [new EventsTableGrant("web_events", "public", "events", TablePerEventType: true)]);
        Assert.Contains("GRANT CREATE ON SCHEMA \"public\" TO \"writer\";", Statements(sql));
        Assert.Contains("events_<type>", sql, StringComparison.Ordinal);
    }

    [Fact]
    public void Source_grants_update_on_the_write_back_column_only()
    {
        var sql = GrantsSql.Source("reader", "app",
        [
            new SourceReadGrant("users_to_contacts", "public", "users", Cdc: false) { WriteBack = ("public", "users", null, "salesforce_contact_id") },
            new SourceReadGrant("signups", null, null, Cdc: false) { WriteBack = ("crm", "leads", "lead_id", "sf_lead_id") },
        ]);
        Assert.Contains("GRANT SELECT, UPDATE (\"salesforce_contact_id\") ON \"public\".\"users\" TO \"reader\";", Statements(sql));
        Assert.Contains("GRANT SELECT (\"lead_id\", \"sf_lead_id\"), UPDATE (\"sf_lead_id\") ON \"crm\".\"leads\" TO \"reader\";", Statements(sql));
        Assert.Contains("GRANT USAGE ON SCHEMA \"crm\" TO \"reader\";", Statements(sql));
        Assert.DoesNotContain("it writes nothing here", sql, StringComparison.Ordinal);
    }

    [Fact]
    public void Source_grants_select_on_each_table_read_and_replication_for_cdc()
    {
        var sql = GrantsSql.Source("reader", "app",
        [
            new SourceReadGrant("users_to_segment", "public", "users", Cdc: false),
            new SourceReadGrant("orders_cdc", "shop", "orders", Cdc: true),
            new SourceReadGrant("report", null, null, Cdc: false),
        ]);
        Assert.Equal(
            [
                "GRANT CONNECT ON DATABASE \"app\" TO \"reader\";",
                "GRANT USAGE ON SCHEMA \"public\" TO \"reader\";",
                "GRANT USAGE ON SCHEMA \"shop\" TO \"reader\";",
                "GRANT SELECT ON \"public\".\"users\" TO \"reader\";",
                "GRANT SELECT ON \"shop\".\"orders\" TO \"reader\";",
                "ALTER ROLE \"reader\" WITH REPLICATION;",
                "CREATE PUBLICATION \"sluice_orders_cdc\" FOR TABLE \"shop\".\"orders\";",
            ],
            Statements(sql));
        Assert.Contains("-- sync report reads a query", sql, StringComparison.Ordinal);
    }

    [Fact]
    public void State_grants_create_on_the_database()
    {
        Assert.Equal(["GRANT CONNECT, CREATE ON DATABASE \"app\" TO \"sluice\";"], Statements(GrantsSql.State("sluice", "app", "sluice")));
    }

    [Fact]
    public void Names_are_quoted_and_cannot_break_out_of_a_statement_or_a_comment()
    {
        var sql = GrantsSql.Events("evil\"; DROP TABLE x; --", "w\"h", [new EventsTableGrant("s", "my schema", "ev\"ents", false)]);
        Assert.Contains("GRANT INSERT ON \"my schema\".\"ev\"\"ents\" TO \"evil\"\"; DROP TABLE x; --\";", sql, StringComparison.Ordinal);
        Assert.Contains("ON DATABASE \"w\"\"h\"", sql, StringComparison.Ordinal);

        // A newline in a name stays inside the quotes of a statement and becomes a space in a comment.
        var multiline = GrantsSql.Warehouse("sluice", "wh\nDROP TABLE x;");
        Assert.Contains("-- Sluice writes Segment-style warehouse tables into database wh DROP TABLE x; as role sluice.\n", multiline, StringComparison.Ordinal);
        Assert.Contains("ON DATABASE \"wh\nDROP TABLE x;\" TO", multiline, StringComparison.Ordinal);
        Assert.DoesNotContain("\nDROP TABLE x;\n", multiline, StringComparison.Ordinal);
    }

    [Fact]
    public void The_plan_takes_tables_and_connections_from_the_config()
    {
        var config = SluiceConfig.Parse("""
            connections:
              app: {type: postgres, database: app, schema: crm}
              wh: {type: postgres, database: warehouse}
              segment: {type: segment, write_key: k}
            syncs:
              users:
                source: {connection: app, table: users, cursor: updated_at}
                destination: {connection: segment, call: identify}
                mapping: {user_id: id}
              accounts:
                source: {connection: app, table: sales.accounts, cdc: {}}
                destination: {connection: segment, call: identify}
                mapping: {user_id: id}
            """, "sluice.yaml", new Dictionary<string, string>());

        var source = Statements(new GrantsPlan(config, null).Sql(GrantTarget.Source, "reader"));
        Assert.Contains("GRANT SELECT ON \"crm\".\"users\" TO \"reader\";", source);
        Assert.Contains("GRANT SELECT ON \"sales\".\"accounts\" TO \"reader\";", source);
        Assert.Contains("ALTER ROLE \"reader\" WITH REPLICATION;", source);

        Assert.Contains("ON DATABASE \"app\"", new GrantsPlan(config, null).Sql(GrantTarget.State, "sluice"), StringComparison.Ordinal);
        Assert.Contains("ON DATABASE \"warehouse\"", new GrantsPlan(config, "wh").Sql(GrantTarget.Warehouse, "writer"), StringComparison.Ordinal);
        var ambiguous = Assert.Throws<ConfigException>(() => new GrantsPlan(config, null).Sql(GrantTarget.Warehouse, "writer"));
        Assert.Contains("name one with --connection", ambiguous.Message, StringComparison.Ordinal);
    }

    private static List<string> Statements(string sql) =>
        sql.Split('\n').Where(l => l.Length > 0 && !l.StartsWith("--", StringComparison.Ordinal)).ToList();
}
