using Sluice.Core.Configuration;

namespace Sluice.Core.Tests.Configuration;

public sealed class SluiceConfigTests
{
    private const string Minimal = """
        connections:
          app:
            type: postgres
            database: app
          segment:
            type: segment
        syncs:
          users_to_segment:
            source:
              connection: app
              table: public.users
            destination:
              connection: segment
            mapping:
              user_id: id

        """;

    private static SluiceConfig Parse(string yaml) => SluiceConfig.Parse(yaml, "sluice.yaml", new Dictionary<string, string>());

    private static ConfigException Fails(string yaml) => Assert.Throws<ConfigException>(() => Parse(yaml));

    [Fact]
    public void Defaults_apply_when_state_server_and_version_are_left_out()
    {
        var config = Parse(Minimal);

        Assert.Equal(1, config.Version);
        Assert.Null(config.State.Connection);
        Assert.Equal("sluice", config.State.Schema);
        Assert.Equal("http://127.0.0.1:7080", config.Server.Listen);
        Assert.Null(config.Syncs[0].Schedule);
    }

    [Fact]
    public void A_file_with_only_a_version_has_no_connections_or_syncs()
    {
        var config = Parse("version: 1\n");

        Assert.Empty(config.Connections);
        Assert.Empty(config.Syncs);
    }

    [Fact]
    public void An_empty_file_is_an_error() =>
        Assert.Equal(
            "sluice.yaml:1: the file is empty\n  fix: start from the complete example in docs/config.md",
            Fails("# nothing yet\n").Message);

    [Fact]
    public void A_file_that_is_a_list_is_an_error() =>
        Assert.Equal(
            "the file must be a mapping of keys (version, state, server, connections, syncs), not a list",
            Fails("- a\n- b\n").Problem);

    [Fact]
    public void Another_version_is_an_error() =>
        Assert.Equal(
            "sluice.yaml:1: version: unsupported config version 2\n  fix: this Sluice reads `version: 1`; upgrade Sluice or write the file for version 1",
            Fails("version: 2\n").Message);

    [Fact]
    public void An_unknown_top_level_key_is_reported_at_its_line_with_a_suggestion()
    {
        var error = Fails("version: 1\n\nsync:\n  a: {}\n");

        Assert.Equal("sluice.yaml:3: sync: unknown key 'sync'\n  fix: did you mean 'syncs'?", error.Message);
        Assert.Equal(3, error.Location!.Line);
    }

    [Fact]
    public void Connections_keep_file_order_and_lower_case_their_type()
    {
        var config = Parse("connections:\n  zeta: {type: Postgres}\n  alpha: {type: segment}\n");

        Assert.Equal(["zeta", "alpha"], config.Connections.Select(c => c.Name));
        Assert.Equal("postgres", config.Connections[0].Type);
        Assert.Equal("connections.zeta", config.Connections[0].Location.KeyPath);
    }

    [Fact]
    public void The_type_is_marked_read_so_a_connector_rejecting_unknown_keys_accepts_it()
    {
        var settings = Parse("connections:\n  app: {type: postgres, host: db}\n").Connections[0].Settings;
        settings.GetString("host");

        settings.RejectUnknownKeys();
    }

    [Fact]
    public void A_connection_without_a_type_is_an_error() =>
        Assert.Equal(
            "sluice.yaml:2: connections.app: missing required key 'type'\n  fix: add `type: postgres` (or segment, salesforce, …)",
            Fails("connections:\n  app:\n    host: db\n").Message);

    [Fact]
    public void A_connection_without_settings_is_an_error() =>
        Assert.Equal(
            "sluice.yaml:2: connections.app: missing required key 'app' (it has no value)\n  fix: give connection 'app' its settings, starting with `type:` (e.g. `type: postgres`)",
            Fails("connections:\n  app:\n").Message);

    [Fact]
    public void Connections_written_as_a_list_are_an_error_with_the_right_shape() =>
        Assert.Equal(
            "sluice.yaml:1: connections: 'connections' must be a mapping (keys indented below it), not a list\n  fix: write connections as a mapping of names, e.g. `app: {type: postgres, …}`",
            Fails("connections:\n  - name: app\n    type: postgres\n").Message);

    [Theory]
    [InlineData("App", "app")]
    [InlineData("my-db", "my_db")]
    [InlineData("users to segment", "users_to_segment")]
    public void An_invalid_connection_name_is_an_error_suggesting_a_valid_one(string name, string suggestion)
    {
        var error = Fails($"connections:\n  \"{name}\": {{type: postgres}}\n");

        Assert.Equal($"connection name '{name}' must start with a lower-case letter and contain only lower-case letters, digits and '_'", error.Problem);
        Assert.Equal($"rename it to '{suggestion}'", error.Fix);
        Assert.Equal(2, error.Location!.Line);
    }

    [Fact]
    public void A_name_with_nothing_to_salvage_gets_no_rename_suggestion() =>
        Assert.Null(Fails("connections:\n  \"1\": {type: postgres}\n").Fix);

    [Fact]
    public void An_invalid_sync_name_is_an_error() =>
        Assert.Equal(
            "sluice.yaml:8: syncs.Users-To-Segment: sync name 'Users-To-Segment' must start with a lower-case letter and contain only lower-case letters, digits and '_'\n  fix: rename it to 'users_to_segment'",
            Fails(Minimal.Replace("  users_to_segment:", "  Users-To-Segment:", StringComparison.Ordinal)).Message);

    [Fact]
    public void An_undeclared_source_connection_is_an_error_with_a_suggestion() =>
        Assert.Equal(
            "sluice.yaml:10: syncs.users_to_segment.source.connection: sync 'users_to_segment': source.connection 'ap' is not a declared connection; did you mean 'app'?\n  fix: declared connections: app, segment",
            Fails(Minimal.Replace("connection: app", "connection: ap", StringComparison.Ordinal)).Message);

    [Fact]
    public void An_undeclared_destination_connection_without_a_close_match_lists_the_declared_ones() =>
        Assert.Equal(
            "sluice.yaml:13: syncs.users_to_segment.destination.connection: sync 'users_to_segment': destination.connection 'salesforce' is not a declared connection\n  fix: declared connections: app, segment",
            Fails(Minimal.Replace("connection: segment", "connection: salesforce", StringComparison.Ordinal)).Message);

    [Theory]
    [InlineData("    source:\n      connection: app\n      table: public.users\n", "source", "add `source:` with the `connection:` to read from and what to read, e.g. `table: public.users`")]
    [InlineData("    destination:\n      connection: segment\n", "destination", "add `destination:` with the `connection:` to write to")]
    public void A_sync_missing_a_required_part_is_an_error(string removed, string key, string fix)
    {
        var error = Fails(Minimal.Replace(removed, "", StringComparison.Ordinal));

        Assert.Equal($"sluice.yaml:8: syncs.users_to_segment: missing required key '{key}'\n  fix: {fix}", error.Message);
    }

    [Fact]
    public void A_source_without_a_connection_is_an_error_listing_the_declared_ones() =>
        Assert.Equal(
            "sluice.yaml:9: syncs.users_to_segment.source: missing required key 'connection'\n  fix: name one of the declared connections: app, segment",
            Fails(Minimal.Replace("      connection: app\n", "", StringComparison.Ordinal)).Message);

    [Fact]
    public void The_sync_keeps_its_whole_section_for_the_engine()
    {
        var sync = Parse(Minimal.Replace("    mapping:", "    schedule: every 5m\n    mode: additive\n    mapping:", StringComparison.Ordinal)).Syncs[0];

        Assert.Equal("every 5m", sync.Schedule);
        Assert.Equal("additive", sync.Section.GetString("mode"));
        Assert.Equal("public.users", sync.Source.GetString("table"));
        Assert.Same(sync.Source, sync.Section.GetSection("source"));
    }

    [Fact]
    public void Mapping_leaves_branches_and_long_form_fields_are_read_in_order()
    {
        var mapping = Parse(Minimal.Replace(
            "      user_id: id\n",
            "      user_id: id\n      \"context.ip\": last_ip\n      traits:\n        plan: {column: plan, hash: sha256}\n        address:\n          city: city\n",
            StringComparison.Ordinal)).Syncs[0].Mapping;

        Assert.Equal(["user_id", "context.ip", "traits"], mapping.Fields.Select(f => f.Target));
        Assert.Equal("last_ip", mapping.Fields[1].Column);
        var plan = mapping.Fields[2].Children![0];
        Assert.Equal(("plan", "plan"), (plan.Target, plan.Column));
        Assert.Equal("sha256", plan.Options!.GetString("hash"));
        Assert.Equal("syncs.users_to_segment.mapping.traits.plan", plan.Location.KeyPath);
        var address = mapping.Fields[2].Children![1];
        Assert.Equal("city", Assert.Single(address.Children!).Column);
        Assert.Equal(14, mapping.Location.Line);
    }

    [Theory]
    [InlineData("      user_id: id\n", "      traits: {}\n", 15, "syncs.users_to_segment.mapping.traits: 'traits' is empty")]
    [InlineData("    mapping:\n      user_id: id\n", "    mapping: {}\n", 14, "syncs.users_to_segment.mapping: 'mapping' is empty")]
    [InlineData("      user_id: id\n", "      user_id:\n", 15, "syncs.users_to_segment.mapping.user_id: 'user_id' has no source column")]
    [InlineData("      user_id: id\n", "      user_id: [id]\n", 15, "syncs.users_to_segment.mapping.user_id: 'user_id' must be a source column or a nested mapping, not a list")]
    [InlineData("      user_id: id\n", "      user_id: {column: }\n", 15, "syncs.users_to_segment.mapping.user_id.column: missing required key 'column' (it has no value)")]
    public void A_malformed_mapping_is_an_error(string replaced, string with, int line, string message) =>
        Assert.StartsWith(
            $"sluice.yaml:{line}: {message}",
            Fails(Minimal.Replace(replaced, with, StringComparison.Ordinal)).Message,
            StringComparison.Ordinal);

    [Fact]
    public void State_names_a_declared_postgres_connection()
    {
        Assert.Equal("app", Parse("state: {connection: app, schema: sluice_state}\n" + Minimal).State.Connection);
        Assert.Equal(
            "sluice.yaml:1: state.connection: state.connection 'segment' is a segment connection, but Sluice keeps its state in PostgreSQL\n  fix: name a postgres connection: app",
            Fails("state: {connection: segment}\n" + Minimal).Message);
        Assert.Equal(
            "sluice.yaml:1: state.connection: state.connection 'ap' is not a declared connection; did you mean 'app'?\n  fix: declared connections: app, segment",
            Fails("state: {connection: ap}\n" + Minimal).Message);
    }

    [Fact]
    public void Syncs_without_any_postgres_connection_have_nowhere_to_keep_state() =>
        Assert.Equal(
            "there is no postgres connection to keep Sluice's state (checkpoints, send ledger) in",
            Fails(Minimal.Replace("type: postgres", "type: mysql", StringComparison.Ordinal)).Problem);

    [Fact]
    public void State_and_server_reject_unknown_keys_and_bad_values()
    {
        Assert.Equal("sluice.yaml:1: state.shema: unknown key 'shema'\n  fix: did you mean 'schema'?", Fails("state: {shema: x}\n").Message);
        Assert.Equal("schema name 'Sluice-State' must start with a lower-case letter and contain only lower-case letters, digits and '_'", Fails("state: {schema: Sluice-State}\n").Problem);
        Assert.Equal("sluice.yaml:2: server.listn: unknown key 'listn'\n  fix: did you mean 'listen'?", Fails("server:\n  listn: x\n").Message);
        Assert.Equal("'listen' must be an http:// or https:// URL with a host and port, not '7080'", Fails("server:\n  listen: 7080\n").Problem);
    }

    [Theory]
    [InlineData("http://0.0.0.0:8080")]
    [InlineData("https://sluice.internal:443")]
    [InlineData("http://*:7080")]
    [InlineData("http://[::1]:7080")]
    public void Server_listen_accepts_urls_kestrel_can_bind(string url) =>
        Assert.Equal(url, Parse($"server:\n  listen: \"{url}\"\n").Server.Listen);

    [Fact]
    public void Load_reads_a_file_and_names_it_in_errors()
    {
        var directory = Directory.CreateTempSubdirectory("sluice-config-");
        try
        {
            var path = Path.Combine(directory.FullName, "sluice.yaml");
            File.WriteAllText(path, Minimal);
            Assert.Equal(path, SluiceConfig.Load(path).FilePath);

            File.WriteAllText(path, "versoin: 1\n");
            Assert.StartsWith($"{path}:1: versoin: unknown key 'versoin'", Assert.Throws<ConfigException>(() => SluiceConfig.Load(path)).Message, StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void Load_of_a_missing_file_names_the_path_and_how_to_start()
    {
        var error = Assert.Throws<ConfigException>(() => SluiceConfig.Load("/no/such/dir/sluice.yaml"));

        Assert.Null(error.Location);
        Assert.Equal("config file '/no/such/dir/sluice.yaml' does not exist", error.Problem);
        Assert.Contains("sluice demo", error.Fix, StringComparison.Ordinal);
        Assert.Contains("docs/config.md", error.Fix, StringComparison.Ordinal);
        Assert.StartsWith("config file '/no/such/dir/sluice.yaml' does not exist\n  fix: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_of_a_directory_is_an_error() =>
        Assert.Equal(
            $"'{Path.GetTempPath()}' is a directory, not a config file",
            Assert.Throws<ConfigException>(() => SluiceConfig.Load(Path.GetTempPath())).Problem);
}
