using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.State.Ingest;

namespace Sluice.Postgres.Tests.Ingest;

/// <summary><c>type: ingest</c> in the config: its keys, and what it can and cannot be.</summary>
public sealed class IngestConnectorTests
{
    private const string Yaml = """
        connections:
          warehouse: {type: postgres, database: wh}
          web: {type: ingest, write_key: "${WEB_WRITE_KEY}", retention: 3d}
          mobile: {type: ingest, write_key: mobile-key}
        syncs:
          web_to_warehouse:
            source: {connection: web}
            destination: {connection: warehouse, table: public.events}
          web_to_archive:
            source: {connection: web}
            destination: {connection: warehouse, table: public.archive}
        """;

    private static readonly IngestConnector Connector = new(_ => throw new InvalidOperationException("no state store is opened while building"));

    [Fact]
    public void Binds_the_write_key_as_a_secret_and_the_retention_with_a_default_of_a_week()
    {
        var config = Parse(Yaml);

        var web = IngestConnectionOptions.Bind(config.FindConnection("web")!);
        Assert.Equal("web-secret", web.WriteKey.Reveal());
        Assert.Equal("********", web.WriteKey.ToString());
        Assert.Equal(TimeSpan.FromDays(3), web.Retention);
        Assert.Equal(TimeSpan.FromDays(7), IngestConnectionOptions.Bind(config.FindConnection("mobile")!).Retention);
    }

    [Fact]
    public async Task A_missing_write_key_is_a_config_error_naming_the_key()
    {
        var config = Parse(Yaml.Replace("write_key: mobile-key", "retention: 1d", StringComparison.Ordinal));
        await using var resources = new ConnectorResources(TimeProvider.System);

        var error = await Assert.ThrowsAsync<ConfigException>(() => Connector.CheckConnectionAsync(config.FindConnection("mobile")!, resources, default));
        Assert.Contains("write_key", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Is_a_streaming_source_and_never_a_destination()
    {
        var config = Parse(Yaml);
        await using var resources = new ConnectorResources(TimeProvider.System);
        var sync = config.FindSync("web_to_warehouse")!;

        await using var source = Connector.CreateSource(sync, config.FindConnection("web")!, resources);
        Assert.IsType<IngestQueueSource>(source);
        Assert.True(source.Streams);
        Assert.Equal("ingest source 'web'", source.Description);

        var error = Assert.Throws<ConfigException>(() => Connector.CreateDestination(sync, config.FindConnection("web")!, resources));
        Assert.Contains("cannot be a destination", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_source_key_it_does_not_know_is_refused()
    {
        var config = Parse(Yaml.Replace("source: {connection: web}\n    destination: {connection: warehouse, table: public.events}", "source: {connection: web, table: public.x}\n    destination: {connection: warehouse, table: public.events}", StringComparison.Ordinal));
        await using var resources = new ConnectorResources(TimeProvider.System);

        Assert.Throws<ConfigException>(() => Connector.CreateSource(config.FindSync("web_to_warehouse")!, config.FindConnection("web")!, resources));
    }

    [Fact]
    public void Retention_lists_every_ingest_source_with_the_syncs_reading_it()
    {
        var retention = IngestRetention.FromConfig(Parse(Yaml));

        Assert.Equal(2, retention.Count);
        Assert.Equal(("web", TimeSpan.FromDays(3)), (retention[0].Source, retention[0].Retention));
        Assert.Equal(["web_to_warehouse", "web_to_archive"], retention[0].Readers);
        Assert.Empty(retention[1].Readers);
    }

    private static SluiceConfig Parse(string yaml) =>
        SluiceConfig.Parse(yaml, "sluice.yaml", new Dictionary<string, string> { ["WEB_WRITE_KEY"] = "web-secret" });
}
