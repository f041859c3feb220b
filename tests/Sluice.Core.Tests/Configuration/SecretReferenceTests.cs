using Sluice.Core.Configuration;

namespace Sluice.Core.Tests.Configuration;

/// <summary><c>${secret:NAME}</c>: looked up in the state store's secrets when a key is read, never before.</summary>
public sealed class SecretReferenceTests
{
    private const string Yaml = """
        connections:
          app: {type: postgres, url: "postgres://localhost/app"}
          segment: {type: segment, write_key: "${secret:SEGMENT_WRITE_KEY}"}
        """;

    [Fact]
    public void A_secret_reference_is_looked_up_when_its_key_is_read()
    {
        var config = SluiceConfig.Parse(Yaml, "sluice.yaml");
        var secrets = new Secrets(new() { ["SEGMENT_WRITE_KEY"] = "wk_live_123" });
        config.UseSecrets(secrets);

        Assert.Empty(secrets.Asked);
        var key = config.FindConnection("segment")!.Settings.GetSecret("write_key");

        Assert.Equal("wk_live_123", key!.Reveal());
        Assert.Equal(["SEGMENT_WRITE_KEY"], secrets.Asked);
    }

    [Fact]
    public void An_unknown_secret_is_a_config_error_naming_the_file_the_key_and_the_fix()
    {
        var config = SluiceConfig.Parse(Yaml, "sluice.yaml");
        config.UseSecrets(new Secrets([]));

        var error = Assert.Throws<ConfigException>(() => config.FindConnection("segment")!.Settings.GetSecret("write_key"));

        Assert.Equal(
            "sluice.yaml:3: connections.segment.write_key: secret 'SEGMENT_WRITE_KEY' is not in the state store\n"
            + "  fix: store it with `sluice secrets set SEGMENT_WRITE_KEY` (the value is read from stdin), or check the name with `sluice secrets list`",
            error.Message);
    }

    [Fact]
    public void A_store_that_cannot_be_read_is_named_at_the_key_that_needed_it()
    {
        var config = SluiceConfig.Parse(Yaml, "sluice.yaml");
        config.UseSecrets(new Failing());

        var error = Assert.Throws<ConfigException>(() => config.FindConnection("segment")!.Settings.GetSecret("write_key"));

        Assert.StartsWith("sluice.yaml:3: connections.segment.write_key: cannot read secret 'SEGMENT_WRITE_KEY': no master key", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_secret_reference_without_a_state_store_says_to_use_an_environment_variable()
    {
        var config = SluiceConfig.Parse(Yaml, "sluice.yaml");

        var error = Assert.Throws<ConfigException>(() => config.FindConnection("segment")!.Settings.GetSecret("write_key"));

        Assert.Contains("read before the state store", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_error_about_a_value_from_a_secret_never_shows_the_value()
    {
        var config = SluiceConfig.Parse("""
            connections:
              app: {type: postgres, url: "postgres://localhost/app"}
              other: {type: segment, batch_size: "${secret:SIZE}"}
            """, "sluice.yaml");
        config.UseSecrets(new Secrets(new() { ["SIZE"] = "not-a-number-s3cr3t" }));

        var error = Assert.Throws<ConfigException>(() => config.FindConnection("other")!.Settings.GetInt("batch_size"));

        Assert.DoesNotContain("s3cr3t", error.Message, StringComparison.Ordinal);
        Assert.Contains("secret:SIZE", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("${secret:}")]
    [InlineData("${secret:a b}")]
    [InlineData("${secret:1abc}")]
    public void An_invalid_secret_name_is_refused(string written)
    {
        var section = ConfigSection.Parse($"value: \"{written}\"\n", "sluice.yaml");

        var error = Assert.Throws<ConfigException>(() => section.GetString("value"));

        Assert.Contains("is not a valid secret reference", error.Message, StringComparison.Ordinal);
    }

    private sealed class Secrets(Dictionary<string, string> values) : ISecretResolver
    {
        public List<string> Asked { get; } = [];

        public string? Find(string name)
        {
            Asked.Add(name);
            return values.GetValueOrDefault(name);
        }
    }

    private sealed class Failing : ISecretResolver
    {
        public string? Find(string name) => throw new ConfigException(null, "no master key", "set SLUICE_MASTER_KEY");
    }
}
