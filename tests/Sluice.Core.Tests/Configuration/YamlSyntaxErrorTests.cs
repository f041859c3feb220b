using Sluice.Core.Configuration;

namespace Sluice.Core.Tests.Configuration;

public sealed class YamlSyntaxErrorTests
{
    private static ConfigException Fails(string yaml) =>
        Assert.Throws<ConfigException>(() => SluiceConfig.Parse(yaml, "sluice.yaml", new Dictionary<string, string>()));

    [Theory]
    [InlineData("server:\n  listen: a\n lisen: b\n", 3, "invalid YAML: this line is not indented like the keys around it")]
    [InlineData("server:\n  listen: a\n\tx: b\n", 3, "invalid YAML: a tab is used for indentation; YAML indents with spaces only")]
    [InlineData("version: 1\nserver:\n  listen: \"http://x\n", 3, "invalid YAML: the quoted value that starts here is not closed")]
    [InlineData("version: 1\nfilter: status: active\n", 2, "invalid YAML: a value contains ': ', which YAML reads as the start of another key")]
    [InlineData("version: 1\nserver: {listen: x\n", 3, "invalid YAML: a '{' mapping is not closed")]
    [InlineData("version: 1\nkey: [a, b\nother: 1\n", 2, "invalid YAML: the file cannot be read past this point")]
    [InlineData("version: 1\nstate: *nope\n", 2, "invalid YAML: '*nope' refers to an anchor '&nope' that is not defined before it")]
    [InlineData("version: 1\nstate: @x\n", 2, "invalid YAML: a value cannot start with '@'")]
    [InlineData("version: 1\n---\nversion: 1\n", 2, "the file holds more than one YAML document ('---'); Sluice reads exactly one")]
    public void A_syntax_error_is_reported_at_its_line_in_plain_words(string yaml, int line, string problem)
    {
        var error = Fails(yaml);

        Assert.Equal(line, error.Location!.Line);
        Assert.Equal(problem, error.Problem);
        Assert.NotNull(error.Fix);
        Assert.StartsWith($"sluice.yaml:{line}: ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("YamlDotNet", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_duplicate_key_is_reported_at_the_second_occurrence_with_its_path()
    {
        var error = Fails("connections:\n  app:\n    type: postgres\n    host: a\n    host: b\n");

        Assert.Equal(
            "sluice.yaml:5: connections.app.host: duplicate key 'host' (it is already set at line 4)\n  fix: keep one of the two",
            error.Message);
    }

    [Fact]
    public void A_duplicate_key_inside_a_list_item_has_the_item_in_its_path() =>
        Assert.Equal(
            "sluice.yaml:3: refs[0].a: duplicate key 'a' (it is already set at line 2)",
            Fails("refs:\n  - a: 1\n    a: 2\n").Message.Split('\n')[0]);

    [Fact]
    public void The_same_key_in_different_mappings_is_fine()
    {
        var config = SluiceConfig.Parse(
            "connections:\n  a: {type: postgres}\n  b: {type: postgres}\n", "sluice.yaml", new Dictionary<string, string>());

        Assert.Equal(2, config.Connections.Count);
    }

    [Fact]
    public void A_merge_key_is_refused_rather_than_read_as_a_field() =>
        Assert.Equal(
            "sluice.yaml:3: connections.b.<<: YAML merge keys ('<<: *anchor') are not supported\n  fix: write the keys out, or reuse a whole mapping with an alias (`b: *a`)",
            Fails("connections:\n  a: &pg {type: postgres}\n  b: {<<: *pg, host: db}\n").Message);

    [Fact]
    public void Anchors_and_aliases_work() =>
        Assert.Equal(
            "db",
            SluiceConfig.Parse(
                "connections:\n  a: &pg {type: postgres, host: db}\n  b: *pg\n", "sluice.yaml", new Dictionary<string, string>())
                .FindConnection("b")!.Settings.GetString("host"));
}
