using Sluice.Core.Configuration;
using Sluice.Server.Hosting;

namespace Sluice.Server.Tests.Configuration;

/// <summary>
/// What only a sync's source tells about its schedule, checked by the validation <c>sluice check</c> and <c>sluice run</c>
/// start with (no connection is opened): a timed schedule on a streaming sync, and a streaming sync in <c>after:</c>.
/// </summary>
public sealed class StreamingScheduleValidationTests
{
    private static async Task<ConfigException> ValidationFails(string yaml)
    {
        await using var workspace = new SluiceWorkspace(TestConfig.Parse(yaml), TimeProvider.System);
        return await Assert.ThrowsAsync<ConfigException>(workspace.ValidateAsync);
    }

    [Theory]
    [InlineData("every 5m")]
    [InlineData("cron 0 3 * * *")]
    public async Task A_timed_schedule_on_a_streaming_sync_is_a_config_error_naming_the_file_the_key_and_the_fix(string schedule)
    {
        var yaml = TestConfig.File(TestConfig.IngestSync("web_events", $"schedule: {schedule}"));

        var error = await ValidationFails(yaml);

        Assert.Equal("sluice.yaml", error.Location!.File);
        Assert.Equal(TestConfig.LineOf(yaml, "schedule:"), error.Location.Line);
        Assert.Equal("syncs.web_events.schedule", error.Location.KeyPath);
        Assert.Contains($"sync 'web_events' streams", error.Problem, StringComparison.Ordinal);
        Assert.Contains($"'schedule: {schedule}' would never start a run", error.Problem, StringComparison.Ordinal);
        Assert.Equal("remove 'schedule:' (a streaming sync runs continuously under `sluice run`), or write 'schedule: manual' to run it only with `sluice sync web_events`", error.Fix);
    }

    [Theory]
    [InlineData("continuous")]
    [InlineData("manual")]
    public async Task A_streaming_sync_may_say_continuous_or_manual(string schedule)
    {
        await using var workspace = new SluiceWorkspace(TestConfig.Parse(TestConfig.File(TestConfig.IngestSync("web_events", $"schedule: {schedule}"))), TimeProvider.System);

        await workspace.ValidateAsync();
    }

    [Fact]
    public async Task A_streaming_parent_is_a_config_error_on_the_child()
    {
        var yaml = TestConfig.File(
            TestConfig.IngestSync("web_events"),
            TestConfig.TableSync("users", "after: web_events", "schedule: every 5m"));

        var error = await ValidationFails(yaml);

        Assert.Equal("syncs.users.after", error.Location!.KeyPath);
        Assert.Equal(TestConfig.LineOf(yaml, "after:"), error.Location.Line);
        Assert.Contains("'after' names 'web_events', which streams", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_streaming_child_is_a_config_error()
    {
        var yaml = TestConfig.File(
            TestConfig.TableSync("users"),
            TestConfig.IngestSync("web_events", "after: users"));

        var error = await ValidationFails(yaml);

        Assert.Equal("syncs.web_events.after", error.Location!.KeyPath);
        Assert.Contains("sync 'web_events' streams", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sync_with_dependencies_refuses_a_streaming_parent_and_orders_the_rest()
    {
        var yaml = TestConfig.File(
            TestConfig.TableSync("users"),
            TestConfig.TableSync("orders", "after: users"),
            TestConfig.IngestSync("web_events"),
            TestConfig.TableSync("report", "after: web_events"));
        await using var workspace = new SluiceWorkspace(TestConfig.Parse(yaml), TimeProvider.System);

        Assert.Equal(["users"], await workspace.RunFirstAsync("orders"));
        var error = await Assert.ThrowsAsync<ConfigException>(() => workspace.RunFirstAsync("report"));
        Assert.Equal("syncs.report.after", error.Location!.KeyPath);
    }
}
