using Sluice.Core.Configuration;

namespace Sluice.Core.Tests.Configuration;

public sealed class DocsExampleTests
{
    private static SluiceConfig Load() => SluiceConfig.Parse(DocsExample.Yaml, "sluice.yaml", DocsExample.Environment);

    [Fact]
    public void The_complete_example_in_the_docs_loads()
    {
        var config = Load();

        Assert.Equal(1, config.Version);
        Assert.Equal("sluice.yaml", config.FilePath);
        Assert.Equal(["app", "segment"], config.Connections.Select(c => c.Name));
        Assert.Equal(["postgres", "segment"], config.Connections.Select(c => c.Type));
        Assert.Equal("app", config.State.Connection);
        Assert.Equal("sluice", config.State.Schema);
        Assert.Equal("http://127.0.0.1:7080", config.Server.Listen);
    }

    [Fact]
    public void The_example_sync_has_its_connections_schedule_and_sections()
    {
        var sync = Assert.Single(Load().Syncs);

        Assert.Equal("users_to_segment", sync.Name);
        Assert.Equal("app", sync.SourceConnection);
        Assert.Equal("segment", sync.DestinationConnection);
        Assert.Equal("every 5m", sync.Schedule);
        Assert.Equal("public.users", sync.Source.GetString("table"));
        Assert.Equal(["id"], sync.Source.GetStringList("key")!);
        Assert.Equal("deleted_at IS NULL", sync.Source.GetString("filter"));
        Assert.Equal(10_000, sync.Source.GetInt("page_size"));
        Assert.Equal("identify", sync.Destination.GetString("call"));
        Assert.Equal(2500, sync.Section.GetSection("batch")!.GetInt("size"));
        var retry = sync.Section.GetSection("retry")!;
        Assert.Equal(8, retry.GetInt("max_attempts"));
        Assert.Equal(TimeSpan.FromMilliseconds(500), retry.GetDuration("base_delay"));
        Assert.Equal(TimeSpan.FromSeconds(60), retry.GetDuration("max_delay"));
        Assert.Equal("syncs.users_to_segment", sync.Location.KeyPath);
    }

    [Fact]
    public void The_example_mapping_keeps_file_order_nesting_and_options()
    {
        var mapping = Assert.Single(Load().Syncs).Mapping;

        Assert.Equal(["user_id", "timestamp", "traits"], mapping.Fields.Select(f => f.Target));
        Assert.Equal("id", mapping.Fields[0].Column);
        Assert.Null(mapping.Fields[0].Children);
        var traits = mapping.Fields[2];
        Assert.Null(traits.Column);
        Assert.Equal(["email", "name", "plan"], traits.Children!.Select(f => f.Target));
        var plan = traits.Children![2];
        Assert.Equal("plan", plan.Column);
        Assert.NotNull(plan.Options);
        Assert.Null(traits.Children[0].Options);
        Assert.Equal("syncs.users_to_segment.mapping.traits.email", traits.Children[0].Location.KeyPath);
    }

    [Fact]
    public void The_example_secrets_come_from_the_environment_and_never_print()
    {
        var config = Load();
        var password = config.FindConnection("app")!.Settings.GetSecret("password")!;
        var writeKey = config.FindConnection("segment")!.Settings.GetSecret("write_key")!;

        Assert.Equal("app-db-password", password.Reveal());
        Assert.Equal("segment-write-key", writeKey.Reveal());
        Assert.Equal("********", password.ToString());
        Assert.DoesNotContain("app-db-password", $"{password} {writeKey}", StringComparison.Ordinal);
    }

    [Fact]
    public void The_example_connection_settings_read_as_documented()
    {
        var config = Load();
        var app = config.FindConnection("app")!.Settings;
        var segment = config.FindConnection("segment")!.Settings;

        Assert.Equal(5432, app.GetInt("port", 1, 65535));
        Assert.Equal("/etc/ssl/certs/db-ca.pem", app.GetString("ssl_root_cert"));
        Assert.Equal(4, segment.GetInt("max_in_flight"));
        Assert.Equal(200, segment.GetSection("rate_limit")!.GetDouble("requests_per_second"));
        Assert.Null(config.FindConnection("nope"));
        Assert.NotNull(config.FindSync("users_to_segment"));
    }
}
