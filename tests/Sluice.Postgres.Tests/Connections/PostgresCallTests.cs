using System.Net.Sockets;
using Npgsql;
using Sluice.Core.Errors;

namespace Sluice.Postgres.Tests.Connections;

/// <summary>The one wrapper around PostgreSQL calls: each driver failure classified once, naming what it talked to.</summary>
public sealed class PostgresCallTests
{
    private static readonly PostgresCallContext Source = PostgresCallContext.Connection("connection 'app' (127.0.0.1:5432/app)");

    [Theory]
    [InlineData("57P01", ErrorClass.Transient)] // admin shutdown
    [InlineData("57P02", ErrorClass.Transient)] // crash shutdown
    [InlineData("57P03", ErrorClass.Transient)] // cannot connect now (starting up)
    [InlineData("53300", ErrorClass.Transient)] // too many connections
    [InlineData("40001", ErrorClass.Transient)] // serialization failure
    [InlineData("40P01", ErrorClass.Transient)] // deadlock
    [InlineData("08006", ErrorClass.Transient)] // connection failure
    [InlineData("08001", ErrorClass.Transient)] // cannot establish the connection
    [InlineData("28P01", ErrorClass.Fatal)] // wrong password: the run cannot go on until someone fixes it
    [InlineData("28000", ErrorClass.Fatal)] // invalid authorization
    [InlineData("3D000", ErrorClass.Fatal)] // database missing
    [InlineData("42501", ErrorClass.Fatal)] // permission denied
    [InlineData("42P01", ErrorClass.Fatal)] // table missing
    [InlineData("42601", ErrorClass.Fatal)] // syntax error
    [InlineData("XX000", ErrorClass.Fatal)] // internal error
    public async Task A_server_error_is_classified_by_its_SQLSTATE(string sqlState, ErrorClass expected)
    {
        var error = await Assert.ThrowsAsync<SluiceException>(() => PostgresCall.RunAsync<int>(Source, () => throw Server(sqlState, "it failed")));

        Assert.Equal(expected, error.Class);
        Assert.Equal(expected == ErrorClass.Transient, error.IsRetryable);
    }

    [Theory]
    [InlineData("28P01", "password authentication failed for user \"app\"", "check 'password:'")]
    [InlineData("3D000", "database \"nope\" does not exist", "create it or fix 'database:'")]
    [InlineData("42501", "permission denied for schema locked", "run `sluice grants")]
    [InlineData("53300", "sorry, too many clients already", "too many connections; will retry")]
    public async Task The_message_names_what_was_called_what_happened_and_the_fix(string sqlState, string text, string fix)
    {
        var error = await Assert.ThrowsAsync<SluiceException>(() => PostgresCall.RunAsync(Source, () => Task.FromException(Server(sqlState, text))));

        Assert.StartsWith("connection 'app' (127.0.0.1:5432/app): ", error.Message, StringComparison.Ordinal);
        Assert.Contains(fix, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_state_store_call_says_it_was_the_state_database()
    {
        var error = await Assert.ThrowsAsync<SluiceException>(() => PostgresCall.RunAsync<int>(PostgresCallContext.StateStoreIn("sluice"), () => throw Server("3D000", "database \"state\" does not exist")));

        Assert.StartsWith("state database (schema sluice): database \"state\" does not exist", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(SocketError.ConnectionRefused, ErrorClass.Transient, "connection refused")]
    [InlineData(SocketError.ConnectionReset, ErrorClass.Transient, "network error")]
    [InlineData(SocketError.HostNotFound, ErrorClass.Fatal, "no such host")]
    public async Task A_network_failure_under_the_driver_is_classified_by_its_socket_error(SocketError code, ErrorClass expected, string text)
    {
        var error = await Assert.ThrowsAsync<SluiceException>(() =>
            PostgresCall.RunAsync<int>(PostgresCallContext.StateStore, () => throw new NpgsqlException("Failed to connect", new SocketException((int)code))));

        Assert.Equal(expected, error.Class);
        Assert.StartsWith("state database: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(text, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_timeout_is_transient()
    {
        var error = await Assert.ThrowsAsync<SluiceException>(() => PostgresCall.RunAsync(Source, new ValueTask<int>(Task.FromException<int>(new TimeoutException()))).AsTask());

        Assert.Equal(ErrorClass.Transient, error.Class);
        Assert.Contains("I/O timeout", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_site_translation_wins_for_the_SQLSTATEs_it_knows_and_the_generic_one_does_the_rest()
    {
        var context = Source with
        {
            Specific = pg => pg.SqlState == "55006" ? SluiceException.Transient("slot in use; will retry", pg) : null,
        };

        var inUse = await Assert.ThrowsAsync<SluiceException>(() => PostgresCall.RunAsync<int>(context, () => throw Server("55006", "replication slot \"s\" is active")));
        var missing = await Assert.ThrowsAsync<SluiceException>(() => PostgresCall.RunAsync<int>(context, () => throw Server("3D000", "database \"nope\" does not exist")));

        Assert.Equal("slot in use; will retry", inUse.Message);
        Assert.Contains("create it or fix 'database:'", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Our_own_error_raised_inside_the_driver_comes_out_unchanged()
    {
        var ours = SluiceException.Config("password_command exited with 1");

        var error = await Assert.ThrowsAsync<SluiceException>(() => PostgresCall.RunAsync<int>(Source, () => throw new NpgsqlException("Exception while connecting", ours)));

        Assert.Same(ours, error);
    }

    [Fact]
    public async Task What_is_not_a_driver_failure_passes_through()
    {
        await Assert.ThrowsAsync<OperationCanceledException>(() => PostgresCall.RunAsync<int>(Source, () => throw new OperationCanceledException()));
        await Assert.ThrowsAsync<InvalidOperationException>(() => PostgresCall.RunAsync(Source, () => throw new InvalidOperationException("a bug")));
    }

    private static PostgresException Server(string sqlState, string text) => new(text, "FATAL", "FATAL", sqlState);
}
