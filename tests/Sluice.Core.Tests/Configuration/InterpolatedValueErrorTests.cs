using Sluice.Core.Configuration;

namespace Sluice.Core.Tests.Configuration;

/// <summary>A value that came from <c>${VAR}</c> may be a secret: errors name the variable, never print its value.</summary>
public sealed class InterpolatedValueErrorTests
{
    private const string Password = "hunter2-correct-horse";

    private static readonly Dictionary<string, string> Environment = new()
    {
        ["APP_DB_PASSWORD"] = Password,
        ["BIG"] = "99999",
    };

    private static ConfigException Fails(string yaml, Action<ConfigSection> read)
    {
        var section = ConfigSection.Parse(yaml, "sluice.yaml", Environment);
        return Assert.Throws<ConfigException>(() => read(section));
    }

    public static TheoryData<string, Action<ConfigSection>> Reads => new()
    {
        { "port: ${APP_DB_PASSWORD}\n", s => s.GetInt("port", 1, 65535) },
        { "share: ${APP_DB_PASSWORD}\n", s => s.GetDouble("share") },
        { "enabled: ${APP_DB_PASSWORD}\n", s => s.GetBool("enabled") },
        { "retention: ${APP_DB_PASSWORD}\n", s => s.GetDuration("retention") },
        { "ssl_mode: ${APP_DB_PASSWORD}\n", s => s.GetEnum<DayOfWeek>("ssl_mode") },
        { "ssl_mode: \"x-${APP_DB_PASSWORD}-y\"\n", s => s.GetEnum<DayOfWeek>("ssl_mode") },
    };

    [Theory]
    [MemberData(nameof(Reads))]
    public void A_typed_read_names_the_variable_and_hides_its_value(string yaml, Action<ConfigSection> read)
    {
        var error = Fails(yaml, read);

        Assert.DoesNotContain(Password, error.Message, StringComparison.Ordinal);
        Assert.Contains("${APP_DB_PASSWORD}", error.Problem, StringComparison.Ordinal);
        Assert.Contains("the value of APP_DB_PASSWORD", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void The_port_error_reads_plainly()
    {
        var error = Fails("port: ${APP_DB_PASSWORD}\n", s => s.GetInt("port", 1, 65535));

        Assert.Equal("'port' must be a whole number, not '${APP_DB_PASSWORD}' (the value of APP_DB_PASSWORD, not shown)", error.Problem);
    }

    [Fact]
    public void A_number_out_of_range_from_the_environment_is_not_printed_either()
    {
        var error = Fails("port: ${BIG}\n", s => s.GetInt("port", 1, 65535));

        Assert.DoesNotContain("99999", error.Message, StringComparison.Ordinal);
        Assert.Contains("${BIG}", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bare_number_duration_from_the_environment_is_not_printed()
    {
        var error = Fails("retention: ${BIG}\n", s => s.GetDuration("retention"));

        Assert.DoesNotContain("99999", error.Message, StringComparison.Ordinal);
        Assert.Contains("${BIG}", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_literal_value_is_still_quoted_as_written() =>
        Assert.Equal(
            "'port' must be a whole number, not 'abc'",
            Fails("port: abc\n", s => s.GetInt("port")).Problem);

    [Fact]
    public void Show_names_every_variable_of_a_value_built_from_several()
    {
        var section = ConfigSection.Parse("endpoint: \"https://${APP_DB_PASSWORD}:${BIG}/v1\"\nplain: abc\n", "sluice.yaml", Environment);

        Assert.Equal("'https://${APP_DB_PASSWORD}:${BIG}/v1' (with the values of APP_DB_PASSWORD and BIG, not shown)", section.Show("endpoint"));
        Assert.Equal("'abc'", section.Show("plain"));
        Assert.Equal("abc!", section.Show("plain", "abc!"));
    }

    public static TheoryData<string> Files => new()
    {
        // A connection's type, a connection name, the server's address, the state schema, the config version.
        "connections:\n  app: {type: \"${APP_DB_PASSWORD}\"}\n",
        "connections:\n  app: {type: postgres}\nstate: {connection: \"${APP_DB_PASSWORD}\"}\n",
        "server: {listen: \"${APP_DB_PASSWORD}\"}\n",
        "state: {schema: \"${APP_DB_PASSWORD}\"}\n",
        "version: ${BIG}\n",
    };

    [Theory]
    [MemberData(nameof(Files))]
    public void The_loader_never_prints_a_value_from_the_environment(string yaml)
    {
        var error = Assert.Throws<ConfigException>(() => SluiceConfig.Parse(yaml, "sluice.yaml", Environment));

        Assert.DoesNotContain(Password, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("99999", error.Message, StringComparison.Ordinal);
        Assert.Contains("${", error.Problem, StringComparison.Ordinal);
    }
}
