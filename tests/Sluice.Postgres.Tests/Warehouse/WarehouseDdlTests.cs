using Sluice.Postgres.Destinations.Warehouse;
using static Sluice.Postgres.Tests.Warehouse.WarehouseTypesTests;

namespace Sluice.Postgres.Tests.Warehouse;

public sealed class WarehouseDdlTests
{
    [Fact]
    public void A_new_event_table_is_created_with_its_standard_columns_and_properties()
    {
        var schema = new WarehouseSchema("web");
        var plan = WarehouseRowPlanner.Plan(Parse("""{ "type": "track", "messageId": "m", "event": "Order Completed", "properties": { "total": 10 } }"""));

        var changes = WarehouseSchemaPlanner.Changes(schema, plan.Rows);
        var statements = WarehouseDdl.Statements(schema.Name, changes);

        Assert.Equal(
            [
                "CREATE SCHEMA IF NOT EXISTS \"web\"",
                "CREATE TABLE IF NOT EXISTS \"web\".\"tracks\" (\"id\" varchar(1024) PRIMARY KEY, \"received_at\" timestamptz, \"uuid_ts\" timestamptz, " +
                "\"anonymous_id\" text, \"event\" text, \"event_text\" text, \"original_timestamp\" timestamptz, \"sent_at\" timestamptz, \"timestamp\" timestamptz, \"user_id\" text)",
                "CREATE TABLE IF NOT EXISTS \"web\".\"order_completed\" (\"id\" varchar(1024) PRIMARY KEY, \"received_at\" timestamptz, \"uuid_ts\" timestamptz, " +
                "\"anonymous_id\" text, \"event\" text, \"event_text\" text, \"original_timestamp\" timestamptz, \"sent_at\" timestamptz, \"timestamp\" timestamptz, \"user_id\" text, \"total\" bigint)",
            ],
            statements);
    }

    [Fact]
    public void Existing_tables_get_only_their_missing_columns_and_existing_types_stay()
    {
        var schema = new WarehouseSchema("web");
        foreach (var column in WarehouseColumns.Standard(WarehouseTableKind.Pages))
        {
            schema.AddColumn("pages", column.Name, column.Type);
        }

        schema.AddColumn("pages", "path", WarehouseType.Text);
        var plan = WarehouseRowPlanner.Plan(Parse("""{ "type": "page", "messageId": "m", "properties": { "path": 5, "scroll": 0.5, "order": true } }"""));

        var change = Assert.Single(WarehouseSchemaPlanner.Changes(schema, plan.Rows));
        Assert.False(change.IsNew);
        Assert.Equal(
            "ALTER TABLE \"web\".\"pages\" ADD COLUMN IF NOT EXISTS \"scroll\" numeric, ADD COLUMN IF NOT EXISTS \"_order\" boolean",
            WarehouseDdl.AddColumns("web", change.Table, change.Columns));
    }

    [Fact]
    public void A_schema_with_every_column_needs_no_change()
    {
        var schema = new WarehouseSchema("web");
        var plan = WarehouseRowPlanner.Plan(Parse("""{ "type": "alias", "messageId": "m", "previousId": "p" }"""));
        schema.Apply(WarehouseSchemaPlanner.Changes(schema, plan.Rows));
        Assert.Empty(WarehouseSchemaPlanner.Changes(schema, plan.Rows));
    }

    [Theory]
    [InlineData(WarehouseType.BigInt, WarehouseType.BigInt, WarehouseType.BigInt)]
    [InlineData(WarehouseType.BigInt, WarehouseType.Numeric, WarehouseType.Numeric)]
    [InlineData(WarehouseType.Numeric, WarehouseType.BigInt, WarehouseType.Numeric)]
    [InlineData(WarehouseType.BigInt, WarehouseType.Text, WarehouseType.Text)]
    [InlineData(WarehouseType.TimestampTz, WarehouseType.Text, WarehouseType.Text)]
    [InlineData(WarehouseType.Boolean, WarehouseType.BigInt, WarehouseType.Text)]
    public void A_new_column_takes_the_type_its_values_in_the_batch_share(WarehouseType first, WarehouseType second, WarehouseType expected) =>
        Assert.Equal(expected, WarehouseSchemaPlanner.Consolidate(first, second));

    [Fact]
    public void Mixed_values_in_one_batch_make_a_text_column_and_nothing_is_discarded()
    {
        var schema = new WarehouseSchema("web");
        var rows = new[] { """{"plan": 3}""", """{"plan": "gold"}""" }
            .SelectMany((p, i) => WarehouseRowPlanner.Plan(Parse($$"""{ "type": "identify", "messageId": "m{{i}}", "traits": {{p}} }""")).Rows)
            .ToList();

        var changes = WarehouseSchemaPlanner.Changes(schema, rows);
        schema.Apply(changes);
        var discards = new List<WarehouseDiscard>();
        var written = rows.Select(r => WarehouseTypeReconciler.Reconcile(r, schema.Columns(r.Table), discards)).ToList();

        Assert.Equal(WarehouseType.Text, schema.Columns("identifies")["plan"]);
        Assert.Equal(["3", "gold"], written.Select(r => r.Cell("plan")!.Value));
        Assert.Empty(discards);
    }

    [Fact]
    public void The_discards_table_has_rudderstacks_layout()
    {
        Assert.Equal(
            "CREATE TABLE IF NOT EXISTS \"web\".\"discards\" (\"table_name\" text, \"row_id\" text, \"column_name\" text, \"column_value\" text, " +
            "\"received_at\" timestamptz, \"uuid_ts\" timestamptz, \"reason\" text)",
            WarehouseDdl.CreateDiscardsTable("web"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a\0b")]
    [InlineData("a_name_that_is_far_too_long_for_postgresql_which_would_cut_it_silently")]
    public void Names_postgres_would_refuse_or_truncate_are_refused(string name)
    {
        Assert.Throws<ArgumentException>(() => WarehouseDdl.CreateSchema(name));
        Assert.Throws<ArgumentException>(() => WarehouseDdl.AddColumns("s", "t", [new WarehouseColumn(name, WarehouseType.Text)]));
    }

    [Fact]
    public void A_quote_in_a_name_given_directly_is_still_quoted_safely() =>
        Assert.Equal("CREATE SCHEMA IF NOT EXISTS \"a\"\"; DROP TABLE x; --\"", WarehouseDdl.CreateSchema("a\"; DROP TABLE x; --"));
}
