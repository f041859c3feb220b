using Sluice.Core.Configuration;

namespace Sluice.Server.Tests.Configuration;

/// <summary><c>after:</c> as the config loads it: run order, and the graphs every command refuses with file and line.</summary>
public sealed class SyncDependencyConfigTests
{
    [Fact]
    public void Run_first_lists_every_ancestor_once_parents_before_their_children()
    {
        var config = TestConfig.Parse(TestConfig.File(
            TestConfig.TableSync("orders", "after: [accounts, users]"),
            TestConfig.TableSync("accounts", "after: [regions, users]"),
            TestConfig.TableSync("users", "after: regions"),
            TestConfig.TableSync("regions")));

        Assert.Equal(["regions", "users", "accounts"], config.Dependencies.RunFirst("orders"));
        Assert.Equal(["regions"], config.Dependencies.RunFirst("users"));
        Assert.Empty(config.Dependencies.RunFirst("regions"));
        Assert.Equal(["accounts", "users"], config.Syncs[0].After);
    }

    [Fact]
    public void A_cycle_is_refused_at_load_with_the_file_the_line_and_the_cycle()
    {
        var yaml = TestConfig.File(
            TestConfig.TableSync("a", "after: b"),
            TestConfig.TableSync("b", "after: [c]"),
            TestConfig.TableSync("c", "after: a"));

        var error = Assert.Throws<ConfigException>(() => TestConfig.Parse(yaml));

        Assert.Contains("'after' makes a cycle: a → b → c → a", error.Problem, StringComparison.Ordinal);
        Assert.Equal("sluice.yaml", error.Location!.File);
        Assert.Equal(TestConfig.LineOf(yaml, "after: a", after: "  c:"), error.Location.Line);
        Assert.Equal("syncs.c.after", error.Location.KeyPath);
        Assert.Contains("remove 'a' from the 'after:' of 'c'", error.Fix, StringComparison.Ordinal);
        Assert.StartsWith($"sluice.yaml:{error.Location.Line}: syncs.c.after: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_sync_after_itself_is_refused_at_load()
    {
        var yaml = TestConfig.File(TestConfig.TableSync("users", "after: users"));

        var error = Assert.Throws<ConfigException>(() => TestConfig.Parse(yaml));

        Assert.Contains("is after itself", error.Problem, StringComparison.Ordinal);
        Assert.Equal(TestConfig.LineOf(yaml, "after:"), error.Location!.Line);
    }

    [Fact]
    public void An_unknown_name_in_after_is_refused_at_load_with_the_closest_name()
    {
        var yaml = TestConfig.File(
            TestConfig.TableSync("users"),
            TestConfig.TableSync("orders", "after: [usres]"));

        var error = Assert.Throws<ConfigException>(() => TestConfig.Parse(yaml));

        Assert.Contains("'usres', which is not a sync of this file", error.Problem, StringComparison.Ordinal);
        Assert.Equal("did you mean 'users'?", error.Fix);
        Assert.Equal(TestConfig.LineOf(yaml, "after:"), error.Location!.Line);
    }
}
