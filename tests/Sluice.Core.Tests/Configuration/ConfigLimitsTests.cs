using System.Diagnostics;
using Sluice.Core.Configuration;
using Sluice.Testing;

namespace Sluice.Core.Tests.Configuration;

/// <summary>A config file is input like any other: it cannot make Sluice use unbounded memory or time.</summary>
public sealed class ConfigLimitsTests
{
    private static readonly Dictionary<string, string> NoEnvironment = [];

    /// <summary><c>x:</c> followed by <paramref name="depth"/> nested flow lists, closed.</summary>
    public static string DeepList(int depth) => "x: " + new string('[', depth) + new string(']', depth) + "\n";

    [Fact]
    public void An_alias_bomb_is_refused_before_it_is_expanded()
    {
        var clock = Stopwatch.StartNew();

        var error = Assert.Throws<ConfigException>(() => SluiceConfig.Parse(HostileYaml.AliasBomb(), "sluice.yaml", NoEnvironment));

        Assert.StartsWith("sluice.yaml:", error.Message, StringComparison.Ordinal);
        Assert.Contains($"{ConfigLimits.MaxAliasExpansion:N0}", error.Problem, StringComparison.Ordinal);
        Assert.Contains("alias", error.Problem, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    [Fact]
    public void The_node_model_refuses_an_alias_bomb_too() =>
        Assert.Throws<ConfigException>(() => ConfigSection.Parse(HostileYaml.AliasBomb(), "sluice.yaml", NoEnvironment));

    [Fact]
    public void A_few_aliases_of_a_small_mapping_are_fine()
    {
        var section = ConfigSection.Parse("base: &b {host: db, port: 5432}\none: *b\ntwo: *b\n", "sluice.yaml", NoEnvironment);

        Assert.Equal("db", section.GetSection("two")!.GetString("host"));
    }

    [Fact]
    public void Aliases_between_keys_of_one_mapping_do_not_confuse_the_duplicate_key_check()
    {
        var section = ConfigSection.Parse("a: &x 1\nb: *x\nc: 2\nd: 2\n", "sluice.yaml", NoEnvironment);

        Assert.Equal(["a", "b", "c", "d"], section.Keys);
        Assert.Equal(1, section.GetInt("b"));
    }

    [Fact]
    public void Nesting_deeper_than_the_limit_is_refused_with_its_line()
    {
        var error = Assert.Throws<ConfigException>(() => ConfigSection.Parse(DeepList(ConfigLimits.MaxDepth + 1), "sluice.yaml", NoEnvironment));

        Assert.Equal(1, error.Location!.Line);
        Assert.StartsWith("sluice.yaml:1: ", error.Message, StringComparison.Ordinal);
        Assert.Contains($"{ConfigLimits.MaxDepth} levels", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Nesting_up_to_the_limit_is_fine() =>
        Assert.Equal(["x"], ConfigSection.Parse(DeepList(ConfigLimits.MaxDepth - 1), "sluice.yaml", NoEnvironment).Keys);

    [Fact]
    public void A_hundred_thousand_open_brackets_are_refused_quickly()
    {
        var clock = Stopwatch.StartNew();

        var error = Assert.Throws<ConfigException>(() => ConfigSection.Parse("x: " + new string('[', 100_000) + "\n", "sluice.yaml", NoEnvironment));

        Assert.Contains($"{ConfigLimits.MaxDepth} levels", error.Problem, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    [Fact]
    public void A_file_over_the_size_limit_is_refused_before_it_is_read()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sluice-big-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, "version: 1\n# " + new string('x', ConfigLimits.MaxFileBytes) + "\n");
        try
        {
            var error = Assert.Throws<ConfigException>(() => SluiceConfig.Load(path, NoEnvironment));

            Assert.StartsWith($"{path}: ", error.Message, StringComparison.Ordinal);
            Assert.Contains("1 MB", error.Problem, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Text_over_the_size_limit_is_refused_too()
    {
        var error = Assert.Throws<ConfigException>(() => SluiceConfig.Parse("version: 1\n# " + new string('x', ConfigLimits.MaxFileBytes) + "\n", "sluice.yaml", NoEnvironment));

        Assert.StartsWith("sluice.yaml: ", error.Message, StringComparison.Ordinal);
    }
}
