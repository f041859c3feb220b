using Sluice.Core.Configuration;

namespace Sluice.Core.Tests.Configuration;

public sealed class EnvironmentInterpolationTests
{
    private static readonly Dictionary<string, string> Environment = new()
    {
        ["DB_HOST"] = "db.internal",
        ["DB_PORT"] = "6432",
        ["EMPTY"] = "",
        ["TRICKY"] = "pa${ss}",
    };

    private static string? Read(string value) =>
        ConfigSection.Parse($"value: {value}\n", "sluice.yaml", Environment).GetString("value");

    [Theory]
    [InlineData("${DB_HOST}", "db.internal")]
    [InlineData("\"postgres://${DB_HOST}:${DB_PORT}/app\"", "postgres://db.internal:6432/app")]
    [InlineData("${MISSING:-localhost}", "localhost")]
    [InlineData("${EMPTY:-fallback}", "fallback")]
    [InlineData("${DB_HOST:-localhost}", "db.internal")]
    [InlineData("${MISSING:-${DB_HOST}}", "db.internal")]
    [InlineData("${MISSING:-}", "")]
    [InlineData("${EMPTY}", "")]
    [InlineData("$${DB_HOST}", "${DB_HOST}")]
    [InlineData("'cost: $5 and $$ and $DB_HOST'", "cost: $5 and $$ and $DB_HOST")]
    [InlineData("${TRICKY}", "pa${ss}")]
    public void Variables_are_expanded_with_defaults_and_escapes(string written, string expected) =>
        Assert.Equal(expected, Read(written));

    [Fact]
    public void Numbers_can_come_from_the_environment() =>
        Assert.Equal(6432, ConfigSection.Parse("port: ${DB_PORT}\n", "sluice.yaml", Environment).GetInt("port"));

    [Fact]
    public void A_missing_variable_names_the_key_and_the_variable()
    {
        var section = ConfigSection.Parse("connections:\n  app:\n    password: ${APP_DB_PASSWORD}\n", "sluice.yaml", Environment);
        var app = section.GetSection("connections")!.GetSection("app")!;

        var error = Assert.Throws<ConfigException>(() => app.GetSecret("password"));

        Assert.Equal(
            "sluice.yaml:3: connections.app.password: environment variable APP_DB_PASSWORD is not set\n"
            + "  fix: export APP_DB_PASSWORD=… or set a default with ${APP_DB_PASSWORD:-…}",
            error.Message);
    }

    [Fact]
    public void A_missing_variable_in_an_unread_key_is_not_an_error()
    {
        var section = ConfigSection.Parse("used: ${DB_HOST}\nunused: ${MISSING}\n", "sluice.yaml", Environment);

        Assert.Equal("db.internal", section.GetString("used"));
    }

    [Fact]
    public void List_items_are_expanded() =>
        Assert.Equal(
            ["db.internal", "b"],
            ConfigSection.Parse("hosts: [\"${DB_HOST}\", b]\n", "sluice.yaml", Environment).GetStringList("hosts")!);

    [Fact]
    public void An_unclosed_reference_is_an_error() =>
        Assert.Equal(
            "sluice.yaml:1: value: '${DB_HOST' is not closed with '}'\n  fix: write ${VAR} or ${VAR:-default}, or $${ for a literal ${",
            Assert.Throws<ConfigException>(() => Read("${DB_HOST")).Message);

    [Theory]
    [InlineData("${1ABC}")]
    [InlineData("${}")]
    [InlineData("${DB HOST}")]
    [InlineData("${DB_HOST:?required}")]
    public void A_malformed_reference_is_an_error(string written) =>
        Assert.Contains(
            "is not a valid variable reference",
            Assert.Throws<ConfigException>(() => Read(written)).Message,
            StringComparison.Ordinal);

    [Fact]
    public void The_process_environment_is_used_by_default()
    {
        var name = "SLUICE_TEST_" + Guid.NewGuid().ToString("N");
        System.Environment.SetEnvironmentVariable(name, "from-process");
        try
        {
            Assert.Equal("from-process", ConfigSection.Parse($"value: ${{{name}}}\n").GetString("value"));
        }
        finally
        {
            System.Environment.SetEnvironmentVariable(name, null);
        }
    }
}
