using System.Net;
using System.Net.Sockets;
using Sluice.Testing;

namespace Sluice.EndToEnd;

/// <summary>
/// W6 through the binary: every way a PostgreSQL connection fails is one line with the fix, from
/// <c>sluice check</c> and the same line at run time, never a stack trace.
/// </summary>
public sealed class ConnectionErrorTests : IAsyncLifetime
{
    private SecuredTestPostgres? _secured;

    private SecuredTestPostgres Secured => _secured!;

    public async Task InitializeAsync()
    {
        _secured = await SecuredTestPostgres.StartAsync();
        await Secured.CreateLoginAsync("e2e_user", "right-password");
    }

    public async Task DisposeAsync() => await Secured.DisposeAsync();

    [Fact]
    public async Task Check_prints_each_connection_failure_on_one_line_with_the_fix_and_exits_1()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start(); // accepts and never answers
        var silentPort = ((IPEndPoint)silent.LocalEndpoint).Port;
        var closedPort = ClosedPort();
        await using var bed = await TestBed.CreateAsync(nameof(Check_prints_each_connection_failure_on_one_line_with_the_fix_and_exits_1), "SELECT 1", at => $$"""
            state: {connection: app}
            connections:
              app: {type: postgres, host: {{at.Host}}, port: {{at.Port}}, database: {{at.Database}}, user: {{at.User}}}
              nohost: {type: postgres, host: db.example.invalid, database: app}
              closed: {type: postgres, host: 127.0.0.1, port: {{closedPort}}, database: app}
              silent: {type: postgres, host: 127.0.0.1, port: {{silentPort}}, database: app, connect_timeout: 1s}
              nodb: {type: postgres, host: {{at.Host}}, port: {{at.Port}}, database: no_such_database, user: {{at.User}}}
              badpw: {type: postgres, host: localhost, port: {{Secured.Port}}, database: postgres, user: e2e_user, password: wrong, ssl_mode: require}
              plain: {type: postgres, host: localhost, port: {{Secured.Port}}, database: postgres, user: e2e_user, password: right-password, ssl_mode: disable}
              wrongca: {type: postgres, host: localhost, port: {{Secured.Port}}, database: postgres, user: e2e_user, password: right-password, ssl_mode: verify-full, ssl_root_cert: {{Secured.Certificates.OtherCaPath}}}
              good_tls: {type: postgres, host: localhost, port: {{Secured.Port}}, database: postgres, user: e2e_user, password: right-password, ssl_mode: verify-full, ssl_root_cert: {{Secured.Certificates.CaPath}}}
            """);

        var (exit, output) = await bed.RunSluiceAsync("check", "-c", bed.ConfigPath);

        Assert.True(exit == 1, output);
        var lines = output.Split('\n');
        AssertLine(lines, "✗ connection 'nohost' (postgres): connection 'nohost' (db.example.invalid:5432/app): no such host; check 'host:'");
        AssertLine(lines, $"✗ connection 'closed' (postgres): connection 'closed' (127.0.0.1:{closedPort}/app): connection refused; is PostgreSQL running");
        AssertLine(lines, $"✗ connection 'silent' (postgres): connection 'silent' (127.0.0.1:{silentPort}/app): I/O timeout: nothing answered in time;");
        AssertLine(lines, "✗ connection 'nodb' (postgres): ", "database \"no_such_database\" does not exist; create it or fix 'database:'");
        AssertLine(lines, "✗ connection 'badpw' (postgres): ", "password authentication failed for user \"e2e_user\"; check 'password:'");
        AssertLine(lines, "✗ connection 'plain' (postgres): ", "the server requires TLS", "set ssl_mode: require (or verify-full)");
        AssertLine(lines, "✗ connection 'wrongca' (postgres): ", "the server's certificate is not signed by the CA in ssl_root_cert");
        AssertLine(lines, "✓ connection 'good_tls' (postgres)");
        AssertLine(lines, "✓ connection 'app' (postgres)");
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("right-password", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sync_whose_source_refuses_the_login_prints_the_same_line_at_run_time_and_exits_1()
    {
        await using var bed = await TestBed.CreateAsync(nameof(A_sync_whose_source_refuses_the_login_prints_the_same_line_at_run_time_and_exits_1), "SELECT 1", at => $$"""
            state: {connection: state}
            connections:
              state: {type: postgres, host: {{at.Host}}, port: {{at.Port}}, database: {{at.Database}}, user: {{at.User}}}
              app: {type: postgres, host: localhost, port: {{Secured.Port}}, database: postgres, user: e2e_user, password: wrong, ssl_mode: require}
              segment: {type: segment, write_key: k, endpoint: {{at.SegmentEndpoint}}}
            syncs:
              users_to_segment:
                source: {connection: app, table: public.users, cursor: updated_at}
                destination: {connection: segment, call: identify}
                mapping: {user_id: id}
            """);
        const string expected = "password authentication failed for user \"e2e_user\"; check 'password:' (an ${ENV} variable that is not set is a common cause) or what 'password_command' prints";

        var (checkExit, checkOutput) = await bed.RunSluiceAsync("check", "-c", bed.ConfigPath);
        var (syncExit, syncOutput) = await bed.RunSluiceAsync("sync", "users_to_segment", "-c", bed.ConfigPath);

        Assert.True(checkExit == 1, checkOutput);
        AssertLine(checkOutput.Split('\n'), "✗ connection 'app' (postgres): ", expected);
        Assert.True(syncExit == 1, syncOutput);
        AssertLine(syncOutput.Split('\n'), "error: ", expected);
        Assert.DoesNotContain("   at ", syncOutput, StringComparison.Ordinal);
        Assert.Equal(0, bed.Emulator.Stats.Events);
    }

    /// <summary>One line that starts with <paramref name="start"/> and contains every one of <paramref name="parts"/>.</summary>
    private static void AssertLine(string[] lines, string start, params string[] parts)
    {
        var line = lines.FirstOrDefault(l => l.StartsWith(start, StringComparison.Ordinal));
        Assert.True(line is not null, $"no line starts with \"{start}\" in:\n{string.Join('\n', lines)}");
        foreach (var part in parts)
        {
            Assert.Contains(part, line, StringComparison.Ordinal);
        }
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
