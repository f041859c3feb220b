using Npgsql;

namespace Sluice.Postgres.Tests.Connections;

/// <summary>TLS by default beyond this machine: plaintext to another host must be asked for, and <c>sluice check</c> warns about it.</summary>
public sealed class TlsDefaultTests
{
    [Theory]
    [InlineData("db.example.com")]
    [InlineData("10.0.0.5")]
    [InlineData("2001:db8::5")]
    [InlineData("localhost.example.com")]
    public void A_host_beyond_this_machine_defaults_to_require(string host)
    {
        Assert.Equal(SslMode.Require, Connections.Options($"host: \"{host}\"\ndatabase: app").SslMode);
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.2")]
    [InlineData("::1")]
    [InlineData("/var/run/postgresql")]
    public void This_machine_keeps_prefer(string host)
    {
        Assert.Equal(SslMode.Prefer, Connections.Options($"host: \"{host}\"\ndatabase: app").SslMode);
        Assert.Null(Connections.Options($"host: \"{host}\"\ndatabase: app").TransportAdvice());
    }

    [Fact]
    public void No_host_is_localhost_and_keeps_prefer()
    {
        Assert.Equal(SslMode.Prefer, Connections.Options("database: app").SslMode);
    }

    [Fact]
    public void Plaintext_beyond_this_machine_must_be_asked_for_and_is_warned_about()
    {
        var options = Connections.Options("host: db.example.com\ndatabase: app\nssl_mode: disable");

        Assert.Equal(SslMode.Disable, options.SslMode);
        var advice = options.TransportAdvice();
        Assert.NotNull(advice);
        Assert.Contains("'ssl_mode: disable' lets data and the password cross the network to db.example.com unencrypted", advice, StringComparison.Ordinal);
        Assert.Contains("verify-full", advice, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "require")]
    [InlineData("ssl_mode: verify-ca", "verify-ca")]
    public void TLS_without_a_host_name_check_beyond_this_machine_recommends_verify_full(string keys, string mode)
    {
        var advice = Connections.Options($"host: db.example.com\ndatabase: app\n{keys}").TransportAdvice();

        Assert.NotNull(advice);
        Assert.Contains($"'ssl_mode: {mode}' encrypts but does not check that the server is db.example.com", advice, StringComparison.Ordinal);
        Assert.Contains("'ssl_mode: verify-full'", advice, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_full_beyond_this_machine_needs_no_advice()
    {
        Assert.Null(Connections.Options("host: db.example.com\ndatabase: app\nssl_mode: verify-full").TransportAdvice());
    }

    [Fact]
    public void The_connector_gives_the_advice_sluice_check_prints()
    {
        var advice = new PostgresConnector().AdviseConnection(Connections.Config("host: 10.1.2.3\ndatabase: app\nssl_mode: prefer"));

        Assert.Contains("unencrypted", Assert.Single(advice), StringComparison.Ordinal);
    }
}
