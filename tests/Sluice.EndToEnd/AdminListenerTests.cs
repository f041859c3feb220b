namespace Sluice.EndToEnd;

/// <summary><c>sluice run</c> refuses to expose its admin listener beyond loopback without a token (docs/deploy.md).</summary>
public sealed class AdminListenerTests
{
    [Fact]
    public async Task Run_with_the_admin_listener_beyond_loopback_and_no_token_exits_2_naming_the_key()
    {
        await using var bed = await TestBed.CreateAsync(nameof(Run_with_the_admin_listener_beyond_loopback_and_no_token_exits_2_naming_the_key), "SELECT 1",
            at => at.Connections() + "\nserver:\n  admin_listen: http://0.0.0.0:7081\n");

        var (exit, output) = await bed.RunSluiceAsync("run", "-c", bed.ConfigPath, "--admin-listen", "http://0.0.0.0:0");
        Assert.True(exit == 2, output);
        Assert.Contains("server.admin_token", output, StringComparison.Ordinal);

        (exit, output) = await bed.RunSluiceAsync("check", "-c", bed.ConfigPath);
        Assert.True(exit == 2, output);
        Assert.Contains("server.admin_token", output, StringComparison.Ordinal);
    }
}
