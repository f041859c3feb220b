using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Testing;
using static Sluice.Postgres.Tests.Models.ModelBed;
using static Sluice.Postgres.Tests.TestSql;

namespace Sluice.Postgres.Tests.Models;

/// <summary>What a model's config may say: filters that cannot escape their clause, names quoted, errors that point at the key.</summary>
public sealed class ModelConfigTests
{
    [Theory]
    [InlineData("status = 'paid'; DELETE FROM orders", "';'")]
    [InlineData("status = 'paid' -- the rest", "a comment ('--')")]
    [InlineData("status = 'paid' /* x */", "a comment ('/*')")]
    [InlineData("customer_id = ANY($1)", "'$'")]
    [InlineData("true) OR (true", "')' without its '('")]
    [InlineData("(status = 'paid'", "never closes")]
    [InlineData("status = E'\\'' OR true", "escape string")]
    public void A_where_that_could_escape_its_clause_is_refused_before_any_SQL_runs(string where, string problem)
    {
        var model = Model.Replace("where: \"status = 'paid'\"", $"where: \"{where.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\"", StringComparison.Ordinal);

        var error = Assert.Throws<ConfigException>(() => Sluice.Postgres.Sources.Models.ModelSourceOptions.Bind(Sync(model)));

        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.Equal("syncs.s.source.model.properties.lifetime_value.where", error.Location?.KeyPath);
    }

    [Fact]
    public void A_model_over_a_CDC_stream_follows_its_primary_and_secondary_tables_and_refuses_cursors_there()
    {
        const string Yaml = """
            connections:
              app: {type: postgres, database: app}
              segment: {type: segment, write_key: test}
            syncs:
              s:
                source:
                  connection: app
                  cdc: {heartbeat: 2s}
                  model:
                    table: public.customers
                    key: id
                    properties:
                      lifetime_orders: {from: public.orders, foreign_key: customer_id, aggregate: count}
                      last_plan: {from: public.subscriptions, foreign_key: customer_id, aggregate: most_recent, column: plan, order_by: started_at}
                      spend: {from: public.orders, foreign_key: customer_id, aggregate: sum, column: amount}
                destination: {connection: segment, call: identify}
                mapping: {user_id: id}
            """;
        var options = Sluice.Postgres.Sources.Models.ModelSourceOptions.Bind(SluiceConfig.Parse(Yaml, "sluice.yaml", new Dictionary<string, string>()).Syncs[0]);

        Assert.NotNull(options.Cdc);
        Assert.Equal(["public.customers", "public.orders", "public.subscriptions"], options.Cdc.Tables);
        Assert.Equal("sluice_s", options.Cdc.Slot);
        Assert.Equal(TimeSpan.FromSeconds(2), options.Cdc.Heartbeat);

        var withCursor = SluiceConfig.Parse(Yaml.Replace("key: id\n", "key: id\n        cursor: updated_at\n", StringComparison.Ordinal), "sluice.yaml", new Dictionary<string, string>()).Syncs[0];
        var error = Assert.Throws<ConfigException>(() => Sluice.Postgres.Sources.Models.ModelSourceOptions.Bind(withCursor));
        Assert.Equal("syncs.s.source.model.cursor", error.Location?.KeyPath);
        Assert.Contains("follows its tables by CDC", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Quotes_and_semicolons_inside_strings_and_quoted_names_are_fine()
    {
        var model = Model.Replace("where: \"status = 'paid'\"", "where: \"status IN ('pa;id', 'it''s -- fine', \\\"status\\\") AND (amount > 0)\"", StringComparison.Ordinal);

        var options = Sluice.Postgres.Sources.Models.ModelSourceOptions.Bind(Sync(model));

        Assert.Contains("'pa;id'", options.Properties.Single(p => p.Name == "lifetime_value").Where, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_where_PostgreSQL_cannot_parse_is_a_config_error_at_its_line_with_the_databases_message()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_where_PostgreSQL_cannot_parse_is_a_config_error_at_its_line_with_the_databases_message));
        await ExecuteAsync(db, Tables);
        var source = Source(db, Model.Replace("status = 'paid'", "stauts = 'paid'", StringComparison.Ordinal));

        var error = await Assert.ThrowsAsync<ConfigException>(() => source.CheckAsync(default));

        Assert.Contains("column \"stauts\" does not exist", error.Message, StringComparison.Ordinal);
        Assert.Equal("syncs.s.source.model.properties.lifetime_value.where", error.Location?.KeyPath);
    }

    [Fact]
    public async Task A_column_that_does_not_exist_is_a_config_error_with_a_suggestion()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_column_that_does_not_exist_is_a_config_error_with_a_suggestion));
        await ExecuteAsync(db, Tables);

        var error = await Assert.ThrowsAsync<ConfigException>(() => Source(db, Model.Replace("column: amount", "column: amuont", StringComparison.Ordinal)).CheckAsync(default));

        Assert.Contains("did you mean 'amount'?", error.Message, StringComparison.Ordinal);
        Assert.Equal("syncs.s.source.model.properties.lifetime_value.column", error.Location?.KeyPath);
    }

    [Fact]
    public void Cursors_on_some_tables_but_not_all_are_refused()
    {
        var model = Model.Replace("  public.subscriptions: updated_at\n", "", StringComparison.Ordinal);

        var error = Assert.Throws<ConfigException>(() => Sluice.Postgres.Sources.Models.ModelSourceOptions.Bind(Sync(model)));

        Assert.Contains("public.subscriptions has none", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hostile_table_column_and_property_names_are_quoted_everywhere()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(Hostile_table_column_and_property_names_are_quoted_everywhere));
        await ExecuteAsync(db, """"
            CREATE SCHEMA "we""ird";
            CREATE TABLE "we""ird"."Cust; DROP TABLE x" ("Id ""k""" bigint PRIMARY KEY, "e-mail)" text, "at$1" timestamptz NOT NULL DEFAULT clock_timestamp());
            CREATE TABLE "we""ird"."or ders" (id bigint PRIMARY KEY, "cust id" bigint, "amount--" numeric, "upd{0}" timestamptz NOT NULL DEFAULT clock_timestamp());
            INSERT INTO "we""ird"."Cust; DROP TABLE x" VALUES (1, 'a@example.com'), (2, NULL);
            INSERT INTO "we""ird"."or ders" VALUES (1, 1, 5), (2, 1, 7), (3, 2, 1);
            """");
        const string Model = """
            table: 'we"ird.Cust; DROP TABLE x'
            cursor: at$1
            cursors:
              'we"ird.or ders': 'upd{0}'
            properties:
              'mail"); --': {column: 'e-mail)'}
              'total {1}': {from: 'we"ird.or ders', foreign_key: cust id, aggregate: sum, column: amount--}
            """;
        var state = await Sluice.State.PostgresStateStore.OpenAsync(db);
        await using var lease = (await state.TryAcquireAsync("s", default))!;
        var source = Source(db, Model);
        var request = new ReadRequest(["Id \"k\"", "mail\"); --", "total {1}"], null) { RecordStates = lease.RecordStates };

        var records = ByKey(await ReadAsync(source, request), request.Columns);

        Assert.Equal(("a@example.com", 12m), (records["1"]["mail\"); --"], records["1"]["total {1}"]));
        var checkpoint = await CommitAsync(lease, await ReadAsync(source, request));
        await ExecuteAsync(db, "INSERT INTO \"we\"\"ird\".\"or ders\" VALUES (4, 2, 10)");
        var changed = await ReadAsync(source, request with { From = checkpoint });
        Assert.Equal(11m, ByKey(changed, request.Columns)["2"]["total {1}"]);
    }
}
