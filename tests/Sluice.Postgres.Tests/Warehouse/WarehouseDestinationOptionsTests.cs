using Sluice.Core.Configuration;
using Sluice.Postgres.Destinations.Warehouse;

namespace Sluice.Postgres.Tests.Warehouse;

public sealed class WarehouseDestinationOptionsTests
{
    [Fact]
    public void The_schema_defaults_to_the_source_connection_name_made_a_warehouse_name()
    {
        Assert.Equal("web_app", WarehouseDestinationOptions.Bind(Sync("web_app", "layout: warehouse")).Schema);
        var options = WarehouseDestinationOptions.Bind(Sync("order", "layout: warehouse"));

        Assert.Equal("_order", options.Schema);
        Assert.Equal("sluice.yaml", options.Location!.File);
    }

    [Fact]
    public void A_schema_written_out_is_used_as_it_is()
    {
        Assert.Equal("site_events", WarehouseDestinationOptions.Bind(Sync("web", "layout: warehouse\nschema: site_events")).Schema);
    }

    [Fact]
    public void A_schema_that_is_not_a_warehouse_name_is_refused_with_the_name_to_use()
    {
        var error = Assert.Throws<ConfigException>(() => WarehouseDestinationOptions.Bind(Sync("web", "layout: warehouse\nschema: Site Events")));

        Assert.Contains("syncs.web_to_warehouse.destination.schema", error.Message, StringComparison.Ordinal);
        Assert.Equal("write 'schema: site_events'", error.Fix);
    }

    [Fact]
    public void An_unknown_key_is_refused()
    {
        var error = Assert.Throws<ConfigException>(() => WarehouseDestinationOptions.Bind(Sync("web", "layout: warehouse\nschem: x")));

        Assert.Contains("unknown key 'schem'", error.Message, StringComparison.Ordinal);
        Assert.Equal("did you mean 'schema'?", error.Fix);
    }

    [Fact]
    public void Another_layout_is_refused()
    {
        var error = Assert.Throws<ConfigException>(() => WarehouseDestinationOptions.Bind(Sync("web", "layout: events")));

        Assert.Contains("'layout' is 'events'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_column_budget_defaults_to_1000_and_max_columns_sets_it()
    {
        Assert.Equal(1_000, WarehouseDestinationOptions.Bind(Sync("web", "layout: warehouse")).MaxColumns);
        Assert.Equal(1_500, WarehouseDestinationOptions.Bind(Sync("web", "layout: warehouse\nmax_columns: 1500")).MaxColumns);
    }

    [Theory]
    [InlineData("1601")]
    [InlineData("10")]
    [InlineData("many")]
    public void A_column_budget_outside_what_PostgreSQL_allows_is_refused_with_the_range(string value)
    {
        var error = Assert.Throws<ConfigException>(() => WarehouseDestinationOptions.Bind(Sync("web", $"layout: warehouse\nmax_columns: {value}")));

        Assert.Contains("sluice.yaml", error.Message, StringComparison.Ordinal);
        Assert.Contains("max_columns", error.Message, StringComparison.Ordinal);
        Assert.Contains("between 20 and 1600", error.Fix, StringComparison.Ordinal);
    }

    private static SyncConfig Sync(string source, string destination) => SluiceConfig.Parse($"""
        connections:
          {source}:
            type: ingest
            write_key: k
          wh:
            type: postgres
            database: wh
        syncs:
          web_to_warehouse:
            source:
              connection: {source}
            destination:
              connection: wh
        {string.Join('\n', destination.Split('\n').Select(l => "      " + l))}
        """, "sluice.yaml").Syncs.Single();
}
