namespace Sluice.Postgres.Tests.Connections;

/// <summary>The failures only a server that checks passwords and requires TLS can produce.</summary>
[Collection(SecuredPostgresCollection.Name)]
public sealed class SecuredConnectionErrorTests(SecuredPostgresFixture fixture)
{
    [Fact]
    public async Task A_wrong_password_says_to_check_the_password()
    {
        await fixture.Server.CreateLoginAsync("wrong_password_user", "right");
        var message = await Connections.CheckFailsAsync(Keys("wrong_password_user", "password: wrong"));
        Assert.Contains("password authentication failed for user \"wrong_password_user\"; check 'password:'", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_login_pg_hba_conf_does_not_allow_is_a_pg_hba_rejection()
    {
        await fixture.Server.ExecuteAsync("CREATE ROLE outside_hba LOGIN PASSWORD 'x'"); // not in the TLS login group
        var message = await Connections.CheckFailsAsync(Keys("outside_hba", "password: x"));
        Assert.Contains("the server's pg_hba.conf does not let this user log in from here (no pg_hba.conf entry for host \"127.0.0.1\", user \"outside_hba\"", message, StringComparison.Ordinal);
        Assert.Contains("ask the DBA for a pg_hba.conf line", message, StringComparison.Ordinal);
    }

    private string Keys(string user, string password) => $"""
        host: localhost
        port: {fixture.Server.Port}
        database: postgres
        user: {user}
        ssl_mode: require
        {password}
        """;
}
