using Microsoft.Extensions.Time.Testing;
using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Sluice.Postgres.Security;
using Sluice.Testing;

namespace Sluice.Postgres.Tests.Connections;

/// <summary><c>password_command:</c> against a server that checks passwords (scram-sha-256 over TLS).</summary>
[Collection(SecuredPostgresCollection.Name)]
public sealed class PasswordCommandTests(SecuredPostgresFixture fixture) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sluice-password-command-").FullName;

    private SecuredTestPostgres Server => fixture.Server;

    [Fact]
    public async Task A_password_command_logs_in_with_what_it_prints()
    {
        await Server.CreateLoginAsync("token_user", "token-1");
        var options = Connections.Options(Keys("token_user", $"password_command: [/bin/echo, token-1]"));
        await using var dataSource = options.CreateDataSource();
        Assert.Equal("token_user", await Connections.ScalarAsync(dataSource, "SELECT current_user"));
    }

    [Fact]
    public async Task A_rotated_password_is_picked_up_after_the_refresh_interval()
    {
        await Server.CreateLoginAsync("rotating_user", "token-1");
        var tokenFile = Path.Combine(_directory, "token");
        await File.WriteAllTextAsync(tokenFile, "token-1\n");
        var options = Connections.Options(Keys("rotating_user", $"password_command: cat {tokenFile}\npassword_refresh: 10m"));
        var clock = new FakeTimeProvider();
        await using var dataSource = options.CreateDataSource(clock);
        Assert.Equal("rotating_user", await Connections.ScalarAsync(dataSource, "SELECT current_user"));

        // The token rotates: the server takes only the new one, and the command prints it.
        await Server.ExecuteAsync("ALTER ROLE rotating_user PASSWORD 'token-2'");
        await File.WriteAllTextAsync(tokenFile, "token-2\n");
        dataSource.Clear(); // force a new physical connection, i.e. a new login

        // Within the refresh interval the cached token is still used, and refused.
        var stale = await Assert.ThrowsAnyAsync<Exception>(() => Connections.ScalarAsync(dataSource, "SELECT 1"));
        Assert.Contains("password authentication failed", PostgresErrors.Translate(stale, options.Describe()).Message, StringComparison.Ordinal);

        clock.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal("rotating_user", await Connections.ScalarAsync(dataSource, "SELECT current_user"));
    }

    [Fact]
    public async Task A_failing_command_reports_its_exit_code_and_first_error_line_but_never_its_output()
    {
        var provider = Provider(["/bin/sh", "-c", "echo secret-token-123; echo 'token service: access denied' >&2; echo second line >&2; exit 3"]);
        var error = await Assert.ThrowsAsync<SluiceException>(() => provider.GetPasswordAsync(CancellationToken.None).AsTask());
        Assert.Equal("connection 'db': password_command 'sh' exited with code 3: token service: access denied; run the command yourself to see why; Sluice will run it again on the next connection", error.Message);
        Assert.DoesNotContain("secret-token-123", error.Message, StringComparison.Ordinal);
        Assert.True(error.IsRetryable);
    }

    [Fact]
    public async Task A_command_that_does_not_exist_says_so()
    {
        var direct = Provider(["/no/such/token-tool", "--region", "eu"]);
        var error = await Assert.ThrowsAsync<SluiceException>(() => direct.GetPasswordAsync(CancellationToken.None).AsTask());
        Assert.Contains("password_command 'token-tool' was not found or cannot be run", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("--region", error.Message, StringComparison.Ordinal);

        var shell = Provider(["no-such-token-tool --region eu"]);
        var viaShell = await Assert.ThrowsAsync<SluiceException>(() => shell.GetPasswordAsync(CancellationToken.None).AsTask());
        Assert.Contains("password_command exited with code 127", viaShell.Message, StringComparison.Ordinal);
        Assert.Contains("the shell did not find the program", viaShell.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_command_that_hangs_is_stopped_at_its_timeout()
    {
        var provider = new CommandPasswordProvider(
            new PasswordCommandOptions { Command = ["/bin/sleep", "60"], Timeout = TimeSpan.FromMilliseconds(300) }, "connection 'db'", TimeProvider.System);
        var error = await Assert.ThrowsAsync<SluiceException>(() => provider.GetPasswordAsync(CancellationToken.None).AsTask());
        Assert.Contains("password_command 'sleep' did not finish within 0.3s", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_command_that_prints_nothing_is_an_error()
    {
        var provider = Provider(["/bin/true", "x"]);
        var error = await Assert.ThrowsAsync<SluiceException>(() => provider.GetPasswordAsync(CancellationToken.None).AsTask());
        Assert.Contains("printed nothing on stdout", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_command_runs_once_per_refresh_interval_not_once_per_login()
    {
        var counter = Path.Combine(_directory, "runs");
        var clock = new FakeTimeProvider();
        var provider = new CommandPasswordProvider(
            new PasswordCommandOptions { Command = [$"echo run >> {counter}; echo token"], Refresh = TimeSpan.FromMinutes(10) }, "connection 'db'", clock);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("token", await provider.GetPasswordAsync(CancellationToken.None));
        }

        clock.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal("token", await provider.GetPasswordAsync(CancellationToken.None));
        Assert.Equal(2, (await File.ReadAllLinesAsync(counter)).Length);
    }

    [Fact]
    public void Password_and_password_command_together_are_a_config_error()
    {
        var error = Assert.Throws<ConfigException>(() => Connections.Options("database: app\npassword: fixed\npassword_command: [/bin/echo, token]"));
        Assert.Equal("'password' and 'password_command' are both set", error.Problem);
        Assert.Equal("connections.db.password_command", error.Location?.KeyPath);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static CommandPasswordProvider Provider(IReadOnlyList<string> command) =>
        new(new PasswordCommandOptions { Command = command }, "connection 'db'", TimeProvider.System);

    private string Keys(string user, string passwordKeys) => $"""
        host: localhost
        port: {Server.Port}
        database: postgres
        user: {user}
        ssl_mode: verify-full
        ssl_root_cert: {Server.Certificates.CaPath}
        {passwordKeys}
        """;
}
