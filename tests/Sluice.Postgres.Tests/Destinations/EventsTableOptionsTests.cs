using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Postgres.Destinations;

namespace Sluice.Postgres.Tests.Destinations;

public sealed class EventsTableOptionsTests
{
    [Fact]
    public void An_unqualified_table_is_in_the_connections_schema_and_the_defaults_are_one_table_never_created()
    {
        var options = Bind("table: events");

        Assert.Equal(("analytics", "events", false, false, 1_000), (options.Schema, options.Table, options.TablePerEventType, options.CreateTable, options.BatchSize));
        Assert.Equal("\"analytics\".\"events\"", options.QualifiedTable);
    }

    [Fact]
    public void A_qualified_table_and_the_syncs_batch_size_are_taken_as_written()
    {
        var options = Bind("table: landing.events\n      table_per_event_type: true\n      create_table: true", batch: "batch: {size: 5000}");

        Assert.Equal(("landing", "events", true, true, 5_000), (options.Schema, options.Table, options.TablePerEventType, options.CreateTable, options.BatchSize));
    }

    [Fact]
    public void A_misspelt_key_is_refused_with_the_right_one()
    {
        var error = Assert.Throws<ConfigException>(() => Bind("table: events\n      table_per_event: true"));

        Assert.Contains("unknown key 'table_per_event'", error.Message, StringComparison.Ordinal);
        Assert.Contains("table_per_event_type", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_connector_builds_the_events_table_from_table_and_refuses_an_unknown_layout()
    {
        var connector = new PostgresConnector();
        var (config, sync) = Parse("table: public.events");
        var (_, unknown) = Parse("layout: lake");
        var (_, neither) = Parse("schema: web");
        await using var resources = new ConnectorResources(TimeProvider.System);

        await using var destination = connector.CreateDestination(sync, config.Connections.Single(), resources);
        var layout = Assert.Throws<ConfigException>(() => connector.CreateDestination(unknown, config.Connections.Single(), resources));
        var missing = Assert.Throws<ConfigException>(() => connector.CreateDestination(neither, config.Connections.Single(), resources));

        Assert.IsType<EventsTableDestination>(destination);
        Assert.Equal(1_000, destination.Limits.MaxRecords);
        Assert.Equal(TimeSpan.FromSeconds(1), destination.Limits.FlushWindow);
        Assert.Contains("unknown layout 'lake'", layout.Message, StringComparison.Ordinal);
        Assert.Contains("names no table and no layout", missing.Message, StringComparison.Ordinal);
    }

    private static EventsTableOptions Bind(string destination, string batch = "")
    {
        var (config, sync) = Parse(destination, batch);
        return EventsTableOptions.Bind(sync, PostgresConnectionOptions.Bind(config.Connections.Single()));
    }

    private static (SluiceConfig Config, SyncConfig Sync) Parse(string destination, string batch = "")
    {
        var config = SluiceConfig.Parse(
            $"""
            connections:
              wh:
                type: postgres
                database: wh
                schema: analytics
            syncs:
              web_to_events:
                source:
                  connection: wh
                  table: incoming
                destination:
                  connection: wh
                  {destination}
                {batch}
            """, "sluice.yaml", new Dictionary<string, string>());
        return (config, config.Syncs.Single());
    }
}
