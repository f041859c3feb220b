using Sluice.Core.Configuration;
using Sluice.Server.Hosting;

namespace Sluice.Server.Tests.Configuration;

/// <summary><c>reconcile: every 1d</c>: read as an interval, and only for a source that otherwise reads only what changed.</summary>
public sealed class ReconcileConfigTests
{
    [Fact]
    public void Reconcile_is_read_as_an_interval_and_anything_else_is_a_config_error_at_its_line()
    {
        var good = TestConfig.Parse(TestConfig.File(TestConfig.TableSync("users", "reconcile: every 1d")));
        Assert.Equal(TimeSpan.FromDays(1), Reconcile.Parse(good.Syncs[0]));

        var yaml = TestConfig.File(TestConfig.TableSync("users", "reconcile: daily"));
        var error = Assert.Throws<ConfigException>(() => Reconcile.Parse(TestConfig.Parse(yaml).Syncs[0]));
        Assert.Equal(TestConfig.LineOf(yaml, "reconcile:"), error.Location?.Line);
        Assert.Contains("every 1d", error.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reconcile_on_a_table_read_by_cursor_is_a_config_error_with_the_fix()
    {
        var yaml = TestConfig.File(TestConfig.TableSync("users", "reconcile: every 1d"));
        await using var workspace = new SluiceWorkspace(TestConfig.Parse(yaml), TimeProvider.System);

        var error = await Assert.ThrowsAsync<ConfigException>(workspace.ValidateAsync);

        Assert.Equal(TestConfig.LineOf(yaml, "reconcile:"), error.Location?.Line);
        Assert.Contains("use a model source ('model:')", error.Fix, StringComparison.Ordinal);
    }
}
