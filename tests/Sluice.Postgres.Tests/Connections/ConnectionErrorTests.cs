using System.Net;
using System.Net.Sockets;
using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Errors;
using Sluice.Core.Records;
using Sluice.Testing;
using static Sluice.Postgres.Tests.TestSql;

namespace Sluice.Postgres.Tests.Connections;

/// <summary>W6: every way a connection fails is one line saying what happened and the fix.</summary>
public sealed class ConnectionErrorTests
{
    [Fact]
    public async Task A_role_that_does_not_exist_names_it_and_the_fix()
    {
        var (host, port, database) = await DatabaseAsync(nameof(A_role_that_does_not_exist_names_it_and_the_fix));
        var message = await Connections.CheckFailsAsync($"host: {host}\nport: {port}\ndatabase: {database}\nuser: nobody_here");
        Assert.Contains("role \"nobody_here\" does not exist; fix 'user:'", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_database_that_does_not_exist_names_it_and_the_fix()
    {
        var (host, port, _) = await DatabaseAsync(nameof(A_database_that_does_not_exist_names_it_and_the_fix));
        var message = await Connections.CheckFailsAsync($"host: {host}\nport: {port}\ndatabase: no_such_db");
        Assert.Contains("database \"no_such_db\" does not exist; create it or fix 'database:'", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_CONNECT_on_the_database_the_message_points_at_sluice_grants()
    {
        var (host, port, database) = await DatabaseAsync(nameof(Without_CONNECT_on_the_database_the_message_points_at_sluice_grants));
        var role = $"no_connect_{Environment.ProcessId}";
        await SuperuserAsync($"CREATE ROLE {role} LOGIN; REVOKE CONNECT ON DATABASE {database} FROM PUBLIC");
        var message = await Connections.CheckFailsAsync($"host: {host}\nport: {port}\ndatabase: {database}\nuser: {role}");
        Assert.Contains($"permission denied for database \"{database}\" (the role lacks CONNECT); run `sluice grants", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_USAGE_on_the_schema_a_source_says_so_at_run_time()
    {
        var (host, port, database) = await DatabaseAsync(nameof(Without_USAGE_on_the_schema_a_source_says_so_at_run_time));
        var role = $"no_usage_{Environment.ProcessId}";
        await SuperuserAsync($"CREATE ROLE {role} LOGIN");
        await SuperuserAsync("CREATE SCHEMA locked; CREATE TABLE locked.users (id bigint PRIMARY KEY, updated_at timestamptz NOT NULL)", database);
        var yaml = $"""
            connections:
              app: {"{"}type: postgres, host: {host}, port: {port}, database: {database}, user: {role}{"}"}
              out: {"{"}type: segment, write_key: k{"}"}
            syncs:
              users:
                source: {"{"}connection: app, table: locked.users, cursor: updated_at{"}"}
                destination: {"{"}connection: out, call: identify{"}"}
                mapping: {"{"}user_id: id{"}"}
            """;
        var config = SluiceConfig.Parse(yaml, "sluice.yaml", new Dictionary<string, string>());
        await using var resources = new ConnectorResources(TimeProvider.System);
        await using var source = new PostgresConnector().CreateSource(config.Syncs[0], config.Connections[0], resources);

        var error = await Assert.ThrowsAnyAsync<SluiceException>(async () =>
        {
            await source.DiscoverAsync(CancellationToken.None);
            await foreach (var change in source.ReadAsync(new ReadRequest(["id"], null), CancellationToken.None))
            {
                Assert.Fail($"read {change.Key} without USAGE on the schema");
            }
        });

        Assert.Contains("permission denied for schema locked (the role lacks USAGE or CREATE on it); run `sluice grants", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task A_host_that_does_not_resolve_is_no_such_host()
    {
        var message = await Connections.CheckFailsAsync("host: db.example.invalid\ndatabase: app");
        Assert.Equal("connection 'db' (db.example.invalid:5432/app): no such host; check 'host:' in the connection (a typo, or a name only resolvable inside another network)", message);
    }

    [Fact]
    public async Task A_closed_port_is_connection_refused()
    {
        var port = ClosedPort();
        var message = await Connections.CheckFailsAsync($"host: 127.0.0.1\nport: {port}\ndatabase: app");
        Assert.Contains("connection refused; is PostgreSQL running and listening on that host and port", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_accepts_and_never_answers_is_an_IO_timeout()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start(); // the kernel completes the handshake; nobody ever reads or writes
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;

        var message = await Connections.CheckFailsAsync($"host: 127.0.0.1\nport: {port}\ndatabase: app\nconnect_timeout: 1s");

        Assert.Contains("I/O timeout: nothing answered in time", message, StringComparison.Ordinal);
        Assert.Contains("connect_timeout", message, StringComparison.Ordinal);
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port; // closed again when disposed
    }

    private static async Task<(string Host, int Port, string Database)> DatabaseAsync(string purpose)
    {
        var builder = new NpgsqlConnectionStringBuilder(await TestPostgres.CreateDatabaseAsync(purpose));
        return (builder.Host!, builder.Port, builder.Database!);
    }
}
